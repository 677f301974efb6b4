// SCALE by hand for the messages Baton signs: polkadot.js's `Bytes` reads a Uint8Array as
// already length-prefixed and a string starting with 0x as hex, either of which would hash
// other bytes than the client sent.
import { bnToU8a, compactAddLength, hexToU8a, stringToU8a } from '@polkadot/util';

/** Bytes as given: a string as its UTF-8 bytes (never as hex), or the bytes themselves. */
export type BytesLike = string | Uint8Array;

/** A 32-byte value: 0x hex or the bytes. */
export type Hash32 = string | Uint8Array;

const int = (bitLength: number) => (n: bigint | number) => bnToU8a(BigInt(n), { bitLength, isLe: true });
export const u32 = int(32);
export const u64 = int(64);
export const u128 = int(128);

export const raw = (value: BytesLike): Uint8Array =>
  (typeof value === 'string' ? stringToU8a(value) : new Uint8Array(value));

/** A SCALE `Vec<u8>`: compact length, then the bytes. */
export const vec = (value: BytesLike): Uint8Array => compactAddLength(raw(value));

/** Exactly 32 bytes from 0x hex or bytes, or throws. */
export function hash32(value: Hash32): Uint8Array {
  const bytes = typeof value === 'string' ? hexToU8a(value) : value;
  if (bytes.length !== 32) throw new Error(`expected 32 bytes, got ${bytes.length}`);
  return bytes;
}

/** Headers as an object or [name, value] pairs. */
export type Headers = Record<string, string> | Array<[string, string]>;

/** Headers as [lower-case name, value] pairs, in the order given. */
export function headerPairs(headers: Headers = {}): Array<[string, string]> {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  return pairs.map(([name, value]) => [name.toLowerCase(), String(value)]);
}
