/**
 * ATM addresses in configuration files and CLI arguments (see `AtmAddress` in
 * src/uni/api.ts). Their forms and canonical form are defined once, in
 * src/common/atm-address.ts.
 */
export { isAtmAddress, parseAtmAddress } from '../common/atm-address.js';
