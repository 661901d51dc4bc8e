--[[
condis.lua: Wireshark dissector for condis-tap frames (wire format v1).

What it decodes (the layout is WIRE.md in the design notes, and the comment
at the top of src/wire/frame.ts in the repository):

  Ethernet II, EtherType 0x88B5 (a preference)
    cell header      GFC:4 VPI:8 | VCI:16 | PTI:3 CLP:1 (4 octets, no HEC)
    AAL5 SDU         VCI 5:   an SSCOP PDU, handed to Wireshark's own "sscop"
                              dissector (which hands SD payloads to "q2931")
                     VCI 16:  our neighbour-discovery announcement, field by field
                     others:  user data on a VC, shown as data
    AAL5 trailer     CPCS-UU, CPI, Length, CRC-32 (checked; expert error when wrong)
    padding          zeros up to the 60-octet Ethernet minimum

The trailer follows the SDU directly and padding comes after it, so in a
padded 60-octet frame the trailer is the one whose Length names its own
position and whose CRC-32 holds (the same rule as parseFrame in src/wire).

Q.2931/Q.2971 additions: Wireshark's q2931 dissector has no name for PARTY
ALERTING (0x85) nor for the Q.2963.1 connection modification messages (MODIFY
REQUEST 0x88, MODIFY ACKNOWLEDGE 0x89, MODIFY REJECT 0x8A, CONNECTION
AVAILABLE 0x8B; their broadband report type IE 0x89 and the peak cell rates
they carry are decoded here too), shows the User-user IE (0x7E, our close data) as raw octets,
lacks endpoint states 4 and 7 and labels call states 10/11 with Q.931 names.
This script adds a "Q.2931 additions (condis)" tree under every signalling
frame: the message type with its Q.2931/Q.2971 name, the close data of each
User-user IE, call states and endpoint states with their Q.2931/Q.2971 names,
and fixes the Info column for those message types. The same additions run as a
post-dissector on SunATM captures (link type 123) opened with this script.

Install: copy to ~/.local/lib/wireshark/plugins/ (or run tshark with
-X lua_script:wireshark/condis.lua). See docs/wireshark.md.
--]]

local condis = Proto("condis", "condis-tap ATM over Ethernet")
local q2931x = Proto("condis_q2931", "Q.2931 additions (condis)")

------------------------------------------------------------------------------
-- Name tables
------------------------------------------------------------------------------

local PTI_NAMES = {
  [0] = "user data, no congestion, not the end of an AAL5 frame",
  [1] = "user data, no congestion, end of an AAL5 frame",
  [2] = "user data, congestion seen, not the end of an AAL5 frame",
  [3] = "user data, congestion seen, end of an AAL5 frame",
  [4] = "OAM F5 segment cell",
  [5] = "OAM F5 end-to-end cell",
  [6] = "resource management cell",
  [7] = "reserved",
}

local ROLE_NAMES = { [0] = "auto (lower MAC takes the network side)", [1] = "network side", [2] = "user side" }
-- version 2 (authenticated) ends with algorithm (1), timestamp (8) and tag (32) after the addresses
local DISC_AUTH_LEN = 41

local MSG_NAMES = {
  [0x01] = "ALERTING",
  [0x02] = "CALL PROCEEDING",
  [0x05] = "SETUP",
  [0x07] = "CONNECT",
  [0x0F] = "CONNECT ACKNOWLEDGE",
  [0x46] = "RESTART",
  [0x4D] = "RELEASE",
  [0x4E] = "RESTART ACKNOWLEDGE",
  [0x5A] = "RELEASE COMPLETE",
  [0x6E] = "NOTIFY",
  [0x75] = "STATUS ENQUIRY",
  [0x7D] = "STATUS",
  [0x80] = "ADD PARTY",
  [0x81] = "ADD PARTY ACKNOWLEDGE",
  [0x82] = "ADD PARTY REJECT",
  [0x83] = "DROP PARTY",
  [0x84] = "DROP PARTY ACKNOWLEDGE",
  [0x85] = "PARTY ALERTING",
  [0x88] = "MODIFY REQUEST",
  [0x89] = "MODIFY ACKNOWLEDGE",
  [0x8A] = "MODIFY REJECT",
  [0x8B] = "CONNECTION AVAILABLE",
}

-- Message types Wireshark's q2931 dissector has no name for: the Info column gets ours.
local INFO_FIX = { [0x85] = true, [0x88] = true, [0x89] = true, [0x8A] = true, [0x8B] = true }

-- Q.2931 call states (the same code points on the user side U* and the network side N*).
local CALL_STATE_NAMES = {
  [0x00] = "U0/N0 Null",
  [0x01] = "U1/N1 Call Initiated",
  [0x03] = "U3/N3 Outgoing/Incoming Call Proceeding",
  [0x04] = "U4/N4 Call Delivered",
  [0x06] = "U6/N6 Call Present",
  [0x07] = "U7/N7 Call Received",
  [0x08] = "U8/N8 Connect Request",
  [0x09] = "U9/N9 Incoming Call Proceeding",
  [0x0A] = "U10/N10 Active",
  [0x0B] = "U11/N11 Release Request",
  [0x0C] = "U12/N12 Release Indication",
  [0x0D] = "U13/N13 Modify Request",
  [0x0E] = "U14/N14 Modify Received",
  [0x3D] = "REST1 Restart Request",
  [0x3E] = "REST2 Restart",
}

-- Q.2971 endpoint states (party states P0..P7 on either side).
local ENDPOINT_STATE_NAMES = {
  [0x00] = "P0 Null",
  [0x01] = "P1 Add Party Initiated",
  [0x04] = "P3 Party Alerting Delivered",
  [0x06] = "P2 Add Party Received",
  [0x07] = "P4 Party Alerting Received",
  [0x0A] = "P7 Active",
  [0x0B] = "P5 Drop Party Initiated",
  [0x0C] = "P6 Drop Party Received",
}

-- User-user protocol discriminators (Q.931 / Q.2957).
local UU_PD_NAMES = {
  [0x00] = "user-specific protocol (opaque close data)",
  [0x01] = "OSI high layer protocols",
  [0x02] = "X.244",
  [0x04] = "IA5 characters",
  [0x05] = "X.208/X.209 coded user information",
  [0x07] = "V.120 rate adaption",
  [0x08] = "Q.931/I.451 user-network call control messages",
}

-- Broadband report type (Q.2963.1).
local REPORT_NAMES = { [0x01] = "modification confirmation" }

local CODING_NAMES = { [0] = "ITU-T", [1] = "ISO/IEC", [2] = "national", [3] = "network-specific" }

------------------------------------------------------------------------------
-- Fields and expert items
------------------------------------------------------------------------------

local f = {
  gfc = ProtoField.uint32("condis.gfc", "GFC", base.DEC, nil, 0xF0000000, "generic flow control"),
  vpi = ProtoField.uint32("condis.vpi", "VPI", base.DEC, nil, 0x0FF00000, "virtual path identifier"),
  vci = ProtoField.uint32("condis.vci", "VCI", base.DEC, nil, 0x000FFFF0, "virtual channel identifier"),
  pti = ProtoField.uint32("condis.pti", "PTI", base.DEC, PTI_NAMES, 0x0000000E, "payload type"),
  clp = ProtoField.uint32("condis.clp", "CLP", base.DEC, nil, 0x00000001, "cell loss priority"),
  sdu = ProtoField.bytes("condis.sdu", "AAL5 SDU"),
  uu = ProtoField.uint8("condis.aal5.uu", "CPCS-UU", base.HEX),
  cpi = ProtoField.uint8("condis.aal5.cpi", "CPI", base.HEX),
  len = ProtoField.uint16("condis.aal5.length", "Length", base.DEC, nil, nil, "AAL5 SDU length"),
  crc = ProtoField.uint32("condis.aal5.crc", "CRC-32", base.HEX),
  crc_ok = ProtoField.bool("condis.aal5.crc.good", "CRC-32 good"),
  pad = ProtoField.bytes("condis.padding", "Ethernet padding"),
  d_version = ProtoField.uint8("condis.disc.version", "Version", base.DEC),
  d_role = ProtoField.uint8("condis.disc.role", "Role preference", base.DEC, ROLE_NAMES),
  d_hold = ProtoField.uint16("condis.disc.hold", "Hold time (s)", base.DEC, nil, nil, "0 = the sender is leaving"),
  d_mac = ProtoField.ether("condis.disc.mac", "MAC"),
  d_count = ProtoField.uint8("condis.disc.count", "ATM addresses", base.DEC),
  d_alen = ProtoField.uint8("condis.disc.addr.len", "Address length", base.DEC),
  d_addr = ProtoField.string("condis.disc.addr", "ATM address"),
  d_alg = ProtoField.uint8("condis.disc.auth.alg", "Authentication algorithm", base.DEC, { [1] = "HMAC-SHA256 with the lab key" }),
  d_ts = ProtoField.uint64("condis.disc.auth.timestamp", "Timestamp (ms since 1970)", base.DEC),
  d_time = ProtoField.absolute_time("condis.disc.auth.time", "Sent at", base.UTC),
  d_tag = ProtoField.bytes("condis.disc.auth.tag", "Tag (HMAC, not verified here)"),
}
condis.fields = f

local x = {
  msg = ProtoField.uint8("condis_q2931.message_type", "Message type", base.HEX, MSG_NAMES),
  uu = ProtoField.bytes("condis_q2931.uu", "User-user information"),
  uu_pd = ProtoField.uint8("condis_q2931.uu.pd", "Protocol discriminator", base.HEX, UU_PD_NAMES),
  uu_len = ProtoField.uint16("condis_q2931.uu.length", "Close data length", base.DEC),
  uu_data = ProtoField.bytes("condis_q2931.uu.data", "Close data"),
  uu_text = ProtoField.string("condis_q2931.uu.text", "Close data as text"),
  call_state = ProtoField.uint8("condis_q2931.call_state", "Call state", base.HEX, CALL_STATE_NAMES, 0x3F),
  ep_state = ProtoField.uint8("condis_q2931.endpoint_state", "Endpoint state", base.HEX, ENDPOINT_STATE_NAMES, 0x3F),
  report = ProtoField.uint8("condis_q2931.report_type", "Broadband report type", base.HEX, REPORT_NAMES, 0x7F),
  fwd_pcr = ProtoField.uint24("condis_q2931.pcr.forward", "Forward peak cell rate CLP=0+1 (cells/s)", base.DEC),
  bwd_pcr = ProtoField.uint24("condis_q2931.pcr.backward", "Backward peak cell rate CLP=0+1 (cells/s)", base.DEC),
}
q2931x.fields = x

local ef = {
  cell_short = ProtoExpert.new("condis.cell.short", "Cell header cut short", expert.group.MALFORMED, expert.severity.ERROR),
  cell_bad = ProtoExpert.new("condis.cell.bad", "Cell header a receiver drops", expert.group.PROTOCOL, expert.severity.ERROR),
  no_trailer = ProtoExpert.new("condis.aal5.length.bad", "No AAL5 trailer whose Length fits the frame", expert.group.MALFORMED, expert.severity.ERROR),
  crc_bad = ProtoExpert.new("condis.aal5.crc.bad", "AAL5 CRC-32 wrong", expert.group.CHECKSUM, expert.severity.ERROR),
  disc_bad = ProtoExpert.new("condis.disc.bad", "Discovery announcement not decodable", expert.group.MALFORMED, expert.severity.ERROR),
}
condis.experts = { ef.cell_short, ef.cell_bad, ef.no_trailer, ef.crc_bad, ef.disc_bad }

local xe = {
  uu_long = ProtoExpert.new("condis_q2931.uu.too_long", "User-user contents over 128 octets (more close data than WIRE.md allows)", expert.group.PROTOCOL, expert.severity.WARN),
  uu_empty = ProtoExpert.new("condis_q2931.uu.empty", "User-user IE without a protocol discriminator", expert.group.PROTOCOL, expert.severity.WARN),
}
q2931x.experts = { xe.uu_long, xe.uu_empty }

------------------------------------------------------------------------------
-- Preferences
------------------------------------------------------------------------------

condis.prefs.ethertype = Pref.uint("EtherType", 0x88B5, "EtherType of condis-tap frames, in decimal: 34997 = 0x88B5 (the default), 34998 = 0x88B6")
condis.prefs.check_crc = Pref.bool("Check the AAL5 CRC-32", true, "Flag frames whose CRC-32 is wrong and do not decode their SDU (receivers drop them)")
condis.prefs.additions = Pref.bool("Q.2931 additions", true, "Decode PARTY ALERTING, the Q.2963.1 modification messages, User-user close data, call and endpoint states")

------------------------------------------------------------------------------
-- AAL5 CRC-32: generator 0x04C11DB7, MSB first, preset all ones, complemented
------------------------------------------------------------------------------

local band, bxor, lshift, rshift, bnot = bit32.band, bit32.bxor, bit32.lshift, bit32.rshift, bit32.bnot

local CRC_TABLE = {}
for i = 0, 255 do
  local c = lshift(i, 24)
  for _ = 1, 8 do
    if band(c, 0x80000000) ~= 0 then c = bxor(lshift(c, 1), 0x04C11DB7) else c = lshift(c, 1) end
  end
  CRC_TABLE[i] = c
end

-- CRC of tvb[off, off+len)
local function aal5_crc(tvb, off, len)
  local c = 0xFFFFFFFF
  if len > 0 then
    local bytes = tvb:range(off, len):bytes()
    for i = 0, len - 1 do
      c = bxor(lshift(c, 8), CRC_TABLE[band(bxor(rshift(c, 24), bytes:get_index(i)), 0xFF)])
    end
  end
  return bnot(c)
end

------------------------------------------------------------------------------
-- Q.2931 additions
------------------------------------------------------------------------------

-- Walk one Q.2931 message in tvb[off, off+len) and add what Wireshark's q2931
-- dissector does not decode. Returns the message type (or nil).
local function q2931_additions(tvb, off, len, pinfo, tree)
  if len < 9 then return nil end
  local crlen = band(tvb(off + 1, 1):uint(), 0x0F)
  local hdr = 2 + crlen + 4
  if len < hdr then return nil end
  local mt_off = off + 2 + crlen
  local mt = tvb(mt_off, 1):uint()
  local st = tree:add(q2931x, tvb(off, len))
  st:add(x.msg, tvb(mt_off, 1))
  st:append_text(": " .. (MSG_NAMES[mt] or string.format("message type 0x%02X", mt)))

  local uu_total, uu_count, uu_shown = 0, 0, nil
  local pcr_text = nil
  local o, last = off + hdr, off + len
  while o + 4 <= last do
    local id = tvb(o, 1):uint()
    local compat = tvb(o + 1, 1):uint()
    local ielen = tvb(o + 2, 2):uint()
    local clen = math.min(ielen, last - o - 4)
    local co = o + 4
    local coding = band(rshift(compat, 5), 0x03)
    if id == 0x7E then
      uu_count = uu_count + 1
      local it = st:add(x.uu, tvb(o, 4 + clen))
      it:set_text(string.format("User-user information (0x7E), %s coding, %d octets of contents", CODING_NAMES[coding], ielen))
      if clen >= 1 then
        it:add(x.uu_pd, tvb(co, 1))
        local dlen = clen - 1
        it:add(x.uu_len, tvb(o + 2, 2), dlen):set_generated()
        if dlen > 0 then
          it:add(x.uu_data, tvb(co + 1, dlen))
          -- printable close data (IA5, or our user-specific octets that happen to be text) also as text
          local raw = tvb(co + 1, dlen):raw()
          if tvb(co, 1):uint() == 0x04 or not raw:find("[^\32-\126]") then
            it:add(x.uu_text, tvb(co + 1, dlen), raw)
            uu_shown = raw
          end
        end
        uu_total = uu_total + dlen
        if ielen > 128 then it:add_proto_expert_info(xe.uu_long) end
      else
        it:add_proto_expert_info(xe.uu_empty)
      end
    elseif id == 0x14 and clen >= 1 then
      st:add(x.call_state, tvb(co, 1))
    elseif id == 0x55 and clen >= 1 then
      st:add(x.ep_state, tvb(co, 1))
    elseif id == 0x89 and clen >= 1 then
      st:add(x.report, tvb(co, 1))
    elseif id == 0x59 and mt >= 0x88 and mt <= 0x8B then
      -- the traffic descriptor of a modification: the peak cell rates it asks for
      local p, pe = co, co + clen
      local pcrs = {}
      while p + 4 <= pe do
        local sub = tvb(p, 1):uint()
        if sub == 0x84 then
          st:add(x.fwd_pcr, tvb(p + 1, 3))
          pcrs[#pcrs + 1] = "fwd " .. tvb(p + 1, 3):uint()
        elseif sub == 0x85 then
          st:add(x.bwd_pcr, tvb(p + 1, 3))
          pcrs[#pcrs + 1] = "bwd " .. tvb(p + 1, 3):uint()
        end
        p = p + 4
      end
      if #pcrs > 0 then pcr_text = " [PCR " .. table.concat(pcrs, ", ") .. " cells/s]" end
    end
    o = o + 4 + ielen
  end

  if INFO_FIX[mt] then
    pinfo.cols.info:set(MSG_NAMES[mt])
  end
  if pcr_text ~= nil then pinfo.cols.info:append(pcr_text) end
  if uu_count == 1 and uu_shown ~= nil and uu_shown:len() == uu_total and not uu_shown:find("[^\32-\126]") then
    -- printable: the text itself, cut at 40 characters
    local shown = uu_shown:len() > 40 and (uu_shown:sub(1, 39) .. "\226\128\166") or uu_shown
    pinfo.cols.info:append(" [close data: '" .. shown .. "']")
  elseif uu_count > 0 then
    pinfo.cols.info:append(string.format(" [close data, %d octets]", uu_total))
  end
  return mt
end

-- The Q.2931 message inside an SSCOP SD PDU tvb[off, off+len), if it is one.
local function sd_payload(tvb, off, len)
  if len < 4 or len % 4 ~= 0 then return nil end
  local b = tvb(off + len - 4, 1):uint()
  if band(b, 0x0F) ~= 0x08 then return nil end
  local pl = rshift(b, 6)
  local plen = len - 4 - pl
  if plen <= 0 then return nil end
  return off, plen
end

------------------------------------------------------------------------------
-- Discovery (VCI 16), layout as in src/wire/discovery.ts
------------------------------------------------------------------------------

local function dissect_discovery(tvb, off, len, pinfo, tree)
  local st = tree:add(condis, tvb(off, len), "Neighbour discovery announcement")
  pinfo.cols.info:set("Discovery announcement")
  if len < 11 then
    st:add_proto_expert_info(ef.disc_bad, string.format("Announcement of %d octets, the fixed part alone is 11", len))
    return
  end
  st:add(f.d_version, tvb(off, 1))
  st:add(f.d_role, tvb(off + 1, 1))
  st:add(f.d_hold, tvb(off + 2, 2))
  st:add(f.d_mac, tvb(off + 4, 6))
  st:add(f.d_count, tvb(off + 10, 1))
  local version = tvb(off, 1):uint()
  if version ~= 1 and version ~= 2 then
    st:add_proto_expert_info(ef.disc_bad, string.format("Version %d is neither 1 nor 2", version))
    return
  end
  local role = tvb(off + 1, 1):uint()
  if ROLE_NAMES[role] == nil then
    st:add_proto_expert_info(ef.disc_bad, string.format("Role preference %d is none of 0, 1, 2", role))
  end
  local hold = tvb(off + 2, 2):uint()
  pinfo.cols.info:append(string.format(" from %s, %s, hold %d s", tostring(tvb(off + 4, 6):ether()),
    (role == 1 and "network") or (role == 2 and "user") or "auto", hold))
  local n = tvb(off + 10, 1):uint()
  local o, last = off + 11, off + len
  for i = 1, n do
    if o >= last then
      st:add_proto_expert_info(ef.disc_bad, string.format("Address %d of %d missing", i, n))
      return
    end
    local l = tvb(o, 1):uint()
    if l == 0 or o + 1 + l > last then
      st:add_proto_expert_info(ef.disc_bad, string.format("Address %d: length %d does not fit", i, l))
      return
    end
    local at = st:add(f.d_addr, tvb(o + 1, l))
    at:add(f.d_alen, tvb(o, 1))
    if i == 1 then pinfo.cols.info:append(", " .. tvb(o + 1, l):string()) end
    o = o + 1 + l
  end
  if version == 2 then
    if last - o ~= DISC_AUTH_LEN then
      st:add_proto_expert_info(ef.disc_bad, string.format("%d octets after the last address, the authentication trailer is %d", last - o, DISC_AUTH_LEN))
      return
    end
    local at = st:add(tvb(o, DISC_AUTH_LEN), "Authentication")
    at:add(f.d_alg, tvb(o, 1))
    local alg = tvb(o, 1):uint()
    if alg ~= 1 then at:add_proto_expert_info(ef.disc_bad, string.format("Algorithm %d is not 1 (HMAC-SHA256)", alg)) end
    at:add(f.d_ts, tvb(o + 1, 8))
    local ms = tvb(o + 1, 8):uint64()
    local secs = (ms / 1000):tonumber()
    local rest = (ms % 1000):tonumber()
    at:add(f.d_time, tvb(o + 1, 8), NSTime.new(secs, rest * 1000000))
    at:add(f.d_tag, tvb(o + 9, 32))
    pinfo.cols.info:append(" [signed]")
    return
  end
  if o ~= last then
    st:add_proto_expert_info(ef.disc_bad, string.format("%d octets after the last address", last - o))
  end
end

------------------------------------------------------------------------------
-- The frame
------------------------------------------------------------------------------

local sscop_handle = Dissector.get("sscop")
local data_handle = Dissector.get("data")

-- Offsets below are into the EtherType payload: cell header at 0, SDU at 4.
-- The whole frame is 14 octets longer (Ethernet header).
local ETH_HDR, ETH_MIN = 14, 60

-- true when tvb[from, plen) is all zeros (Ethernet padding)
local function zeros(tvb, from, plen)
  for i = from, plen - 1 do
    if tvb(i, 1):uint() ~= 0 then return false end
  end
  return true
end

-- The trailer offset and whether its CRC holds. In a padded frame several
-- positions may carry a self-consistent Length by chance; a good CRC decides,
-- and when none holds, the candidate followed only by zero padding is the
-- one the sender wrote.
local function find_trailer(tvb, plen)
  local last = plen - 8
  local bad = {}
  local function try(t)
    if tvb(t + 2, 2):uint() ~= t - 4 then return false end
    -- the CRC locates the trailer even when the preference turns the check off
    if aal5_crc(tvb, 4, t) == tvb(t + 4, 4):uint() then return true end
    bad[#bad + 1] = t
    return false
  end
  if try(last) then return last, true end
  if plen + ETH_HDR >= ETH_MIN then
    local t = 4
    while t < last and ETH_HDR + t + 8 < ETH_MIN do
      if try(t) then return t, true end
      t = t + 1
    end
  end
  for _, t in ipairs(bad) do
    if zeros(tvb, t + 8, plen) then return t, false end
  end
  if #bad > 0 then return bad[1], false end
  return nil, false
end

function condis.dissector(tvb, pinfo, tree)
  local plen = tvb:len()
  pinfo.cols.protocol:set("CoNDIS")
  local top = tree:add(condis, tvb())
  if plen < 4 then
    top:add_proto_expert_info(ef.cell_short)
    pinfo.cols.info:set("condis-tap frame with a cut-off cell header")
    return plen
  end
  local cell = tvb(0, 4)
  local w = cell:uint()
  local vpi = band(rshift(w, 20), 0xFF)
  local vci = band(rshift(w, 4), 0xFFFF)
  local pti = band(rshift(w, 1), 0x07)
  local ct = top:add(condis, cell, string.format("Cell header, VPI/VCI %d/%d", vpi, vci))
  ct:add(f.gfc, cell)
  ct:add(f.vpi, cell)
  ct:add(f.vci, cell)
  ct:add(f.pti, cell)
  ct:add(f.clp, cell)
  if pti >= 4 then ct:add_proto_expert_info(ef.cell_bad, "PTI " .. pti .. " is not a user-data cell: receivers drop this frame") end
  if vpi == 0 and vci == 0 then ct:add_proto_expert_info(ef.cell_bad, "VPI/VCI 0/0 is the unassigned cell: receivers drop this frame") end

  local channel = (vpi == 0 and vci == 5 and "signalling") or (vpi == 0 and vci == 16 and "discovery") or "user VC"
  top:append_text(string.format(", VPI/VCI %d/%d (%s)", vpi, vci, channel))

  if plen < 12 then
    top:add_proto_expert_info(ef.no_trailer, string.format("Only %d octets after the cell header, an AAL5 trailer needs 8", plen - 4))
    pinfo.cols.info:set(string.format("VPI/VCI %d/%d: frame too short for AAL5", vpi, vci))
    return plen
  end
  local t, crc_good = find_trailer(tvb, plen)
  if t == nil then
    local lt = top:add(f.len, tvb(plen - 6, 2))
    lt:add_proto_expert_info(ef.no_trailer, string.format("Length %d does not fit %d SDU octets, and no padded trailer matches",
      tvb(plen - 6, 2):uint(), plen - 12))
    data_handle:call(tvb(4, plen - 4):tvb(), pinfo, tree)
    pinfo.cols.info:set(string.format("VPI/VCI %d/%d: no AAL5 trailer fits", vpi, vci))
    return plen
  end

  local sdu_len = t - 4
  if sdu_len > 0 then top:add(f.sdu, tvb(4, sdu_len)) end
  local tt = top:add(condis, tvb(t, 8), string.format("AAL5 trailer, Length %d", sdu_len))
  tt:add(f.uu, tvb(t, 1))
  tt:add(f.cpi, tvb(t + 1, 1))
  tt:add(f.len, tvb(t + 2, 2))
  local ci = tt:add(f.crc, tvb(t + 4, 4))
  if not condis.prefs.check_crc then
    crc_good = true -- not checked: decode whatever the frame carries
  else
    local g = tt:add(f.crc_ok, tvb(t + 4, 4), crc_good)
    g:set_generated()
    if not crc_good then
      ci:add_proto_expert_info(ef.crc_bad, string.format("AAL5 CRC-32 wrong: the PDU computes to 0x%08x", aal5_crc(tvb, 4, t)))
    end
  end
  if t + 8 < plen then top:add(f.pad, tvb(t + 8, plen - t - 8)) end

  if not crc_good then
    pinfo.cols.info:set(string.format("VPI/VCI %d/%d: AAL5 CRC-32 wrong, receivers drop this frame", vpi, vci))
    if sdu_len > 0 then data_handle:call(tvb(4, sdu_len):tvb(), pinfo, tree) end
  elseif vpi == 0 and vci == 5 then
    pinfo.cols.info:set(string.format("Signalling, SSCOP PDU of %d octets", sdu_len))
    if sdu_len > 0 then
      local sdu_tvb = tvb(4, sdu_len):tvb()
      -- A malformed PDU makes sscop/q2931 throw; Wireshark has already marked
      -- the frame [Malformed Packet] by then, so the Lua error that
      -- Dissector.call raises on top of it is caught and dropped here.
      pcall(sscop_handle.call, sscop_handle, sdu_tvb, pinfo, tree)
      if condis.prefs.additions then
        local po, pl = sd_payload(sdu_tvb, 0, sdu_len)
        if po then q2931_additions(sdu_tvb, po, pl, pinfo, tree) end
      end
    end
  elseif vpi == 0 and vci == 16 then
    dissect_discovery(tvb, 4, sdu_len, pinfo, tree)
  else
    pinfo.cols.info:set(string.format("VPI/VCI %d/%d: %d octets of user data", vpi, vci, sdu_len))
    if sdu_len > 0 then data_handle:call(tvb(4, sdu_len):tvb(), pinfo, tree) end
  end
  return t + 8 < plen and plen or t + 8
end

local registered = nil
local function register_ethertype()
  local et = DissectorTable.get("ethertype")
  if registered ~= nil then et:remove(registered, condis) end
  registered = condis.prefs.ethertype
  et:add(registered, condis)
end

function condis.prefs_changed()
  if registered ~= condis.prefs.ethertype then register_ethertype() end
end

function condis.init()
  if registered == nil then register_ethertype() end
end

register_ethertype()

------------------------------------------------------------------------------
-- The same additions on SunATM captures (atm -> sscop -> q2931, no condis layer)
------------------------------------------------------------------------------

local fe_atm_vci = Field.new("atm.vci")
local fe_sscop_type = Field.new("sscop.type")
local fe_condis_vci = Field.new("condis.vci")

function q2931x.dissector(tvb, pinfo, tree)
  if not condis.prefs.additions then return end
  if fe_condis_vci() ~= nil then return end -- the Ethernet path did it already
  local vci, st = fe_atm_vci(), fe_sscop_type()
  if vci == nil or st == nil or vci.value ~= 5 then return end
  local po, pl = sd_payload(tvb, 0, tvb:len())
  if po then q2931_additions(tvb, po, pl, pinfo, tree) end
end

register_postdissector(q2931x)
