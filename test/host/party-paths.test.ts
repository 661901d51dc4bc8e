/**
 * A multipoint root's VC is activated again only when a party changes the
 * call's set of wire paths: a party on a host the call already reaches (one
 * leg, one VPI/VCI) leaves the VC as it is, a party on a new host adds a
 * path, and dropping the last party on that host takes the path away again.
 * Data reaches every party throughout. The full stack in memory, both
 * call-manager shapes.
 */
import test from 'ava';
import { WireDataPath } from '../../src/host/wire-datapath.js';
import type { VcPath } from '../../src/uni/api.js';
import { Client, linksUp, memoryNodes, S, shutdownAll } from '../helpers/nodes.js';
import { waitUntil } from '../helpers/wait.js';

for (const shape of ['mcm', 'cm'] as const) {
  test.serial(`a party on a host the call already reaches does not re-activate the VC; one on a new host does (${shape})`, async (t) => {
    const nodes = memoryNodes(3, { callManager: { shape, completion: 'pending' } });
    t.teardown(() => shutdownAll(nodes));
    await linksUp(nodes);
    // every activation of a data path VC, by node (the wire data path is where both shapes end up)
    const activations: { on: WireDataPath; paths: VcPath[] }[] = [];
    const original = WireDataPath.prototype.activate;
    WireDataPath.prototype.activate = function (this: WireDataPath, vc: number, paths: VcPath[]) {
      activations.push({ on: this, paths: paths.map((p) => ({ ...p })) });
      return original.call(this, vc, paths);
    };
    t.teardown(() => {
      WireDataPath.prototype.activate = original;
    });
    const rootPath = (nodes[0] as unknown as { dataPath: WireDataPath }).dataPath;
    const rootActivations = () => activations.filter((a) => a.on === rootPath);

    const root = await Client.open(nodes[0]!, 'root');
    const leafB = await Client.open(nodes[1]!, 'leaf-b');
    const leafC = await Client.open(nodes[2]!, 'leaf-c');
    await leafB.listen('1002');
    await leafC.listen('1003');
    const { vc } = await root.call('1002', true);
    t.is(rootActivations().length, 1, 'the call activates the VC once');
    const one = rootActivations()[0]!.paths;
    t.is(one.length, 1);
    t.is(one[0]!.peer, nodes[1]!.mac);

    const second = await root.addParty(vc, '1002'); // (throws unless the add succeeded)
    t.is(rootActivations().length, 1, 'a second party on the same host: same leg, same path, no re-activation');
    t.deepEqual(root.cl.vcInfo(vc)?.params?.mediaParameters?.mediaSpecific?.paths, one);

    const third = await root.addParty(vc, '1003');
    t.is(rootActivations().length, 2, 'a party on a new host adds a path');
    t.deepEqual(
      rootActivations()[1]!.paths.map((p) => p.peer).sort(),
      [nodes[1]!.mac, nodes[2]!.mac].sort(),
    );

    // data reaches all three parties: two endpoints on b, one on c
    const got: string[] = [];
    for (const [name, leaf] of [['leaf-b', leafB], ['leaf-c', leafC]] as const) {
      leaf.cl.indications$.subscribe((i) => {
        if (i.kind === 'ProtocolCoReceiveNetBufferLists') for (const n of i.nbls) got.push(`${name}:${n.data.toString()}`);
      });
    }
    root.send(vc, Buffer.from('to all'));
    await waitUntil('data at all three parties', () => got.length === 3);
    t.deepEqual(got.sort(), ['leaf-b:to all', 'leaf-b:to all', 'leaf-c:to all']);

    // dropping the second party on b keeps b's path (the first party is still there): no re-activation
    const dropped = root.next('ProtocolClDropPartyComplete', (i) => i.partyHandle === second);
    const st = root.cl.NdisClDropParty(second);
    if (st === S.PENDING) t.is((await dropped).status, S.SUCCESS);
    else t.is(st, S.SUCCESS);
    t.is(rootActivations().length, 2, 'b still has a party: its path stays, the VC is not re-activated');

    // dropping c's only party takes c's path away
    const droppedC = root.next('ProtocolClDropPartyComplete', (i) => i.partyHandle === third);
    const stC = root.cl.NdisClDropParty(third);
    if (stC === S.PENDING) t.is((await droppedC).status, S.SUCCESS);
    else t.is(stC, S.SUCCESS);
    await waitUntil('the re-activation after c left', () => rootActivations().length === 3);
    t.deepEqual(rootActivations()[2]!.paths.map((p) => p.peer), [nodes[1]!.mac], 'c left: only b remains');

    got.length = 0;
    root.send(vc, Buffer.from('to b only'));
    await waitUntil('data at b', () => got.length === 1);
    await new Promise((r) => setTimeout(r, 20));
    t.deepEqual(got, ['leaf-b:to b only']);
  });
}
