// The sealed path's bytes without a node: HPKE seals open with the right key and `info` only,
// and the committed content hash and the binding `info` are the SCALE encodings the runtime
// computes (pallets/primitives/src/sealing.rs), written out here byte by byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';
import {
  contentHash, generateClientKey, openResponse, sealCall, sealedCallBytes, sealedCallInfo, sealedResponseInfo,
} from '@baton/client';

const ascii = (text) => new TextEncoder().encode(text);
const genesisHash = `0x${'11'.repeat(32)}`;
const requestHash = `0x${'22'.repeat(32)}`;
const operator = new Uint8Array(32).fill(0x33);

test('a sealed body opens with the key it was sealed to, under the info it was sealed under', async () => {
  const client = await generateClientKey();
  assert.equal(client.publicKey.length, 32);
  const info = sealedResponseInfo(genesisHash, 7, requestHash, operator);
  const plaintext = ascii('{"price":7.25}');
  const envelope = await sealCall(client.publicKey, info, plaintext);
  assert.deepEqual(envelope.recipient, client.publicKey);
  assert.equal(envelope.encapped.length, 32);
  assert.equal(envelope.ciphertext.length, plaintext.length + 16);
  // A receipt's sealed body is the encapsulated key, then the ciphertext.
  const sealed = u8aConcat(envelope.encapped, envelope.ciphertext);
  assert.deepEqual(await openResponse(client.privateKey, info, u8aToHex(sealed)), plaintext);
  assert.deepEqual(await openResponse(client.privateKey, info, sealed), plaintext);

  const otherRequest = sealedResponseInfo(genesisHash, 8, requestHash, operator);
  await assert.rejects(openResponse(client.privateKey, otherRequest, sealed));
  await assert.rejects(openResponse((await generateClientKey()).privateKey, info, sealed));
  const altered = sealed.slice();
  altered[40] ^= 1;
  await assert.rejects(openResponse(client.privateKey, info, altered));
});

test('the content hash is blake2-256 of SealedCall { path, headers, body } in SCALE', () => {
  // vec("") (a public path), compact(1 header), vec("x-account") (names go lower-case, as in
  // plain requests), vec("42"), vec("hi")
  const encoded = u8aConcat([0], [0x04], [9 << 2], ascii('x-account'), [2 << 2], ascii('42'), [2 << 2], ascii('hi'));
  assert.deepEqual(sealedCallBytes({ headers: [['X-Account', '42']], body: 'hi' }), encoded);
  assert.equal(contentHash({ headers: [['X-Account', '42']], body: 'hi' }), u8aToHex(blake2AsU8a(encoded, 256)));
  assert.equal(contentHash({ headers: { 'X-Account': '42' }, body: 'hi' }), contentHash({ headers: [['x-account', '42']], body: 'hi' }));
  // A confidential path comes first.
  assert.deepEqual(sealedCallBytes({ path: '/a/7' }), u8aConcat([4 << 2], ascii('/a/7'), [0, 0]));
  // No path, no header and no body: three empty vectors.
  assert.deepEqual(sealedCallBytes(), new Uint8Array([0, 0, 0]));
  // The arguments of old, (headers, body), are refused rather than hashed as an empty call.
  assert.throws(() => contentHash([['X-Account', '42']], 'hi'), TypeError);
});

test('the binding info is the raw tag, genesis hash, request id (u64 LE), request hash and operator', () => {
  const info = sealedCallInfo(genesisHash, 7, requestHash, operator);
  assert.equal(info.length, 17 + 32 + 8 + 32 + 32);
  const id = new Uint8Array(8);
  id[0] = 7;
  const expected = u8aConcat(ascii('baton/sealed-call'), new Uint8Array(32).fill(0x11), id,
    new Uint8Array(32).fill(0x22), operator);
  assert.deepEqual(info, expected);
  // An SS58 address names the same operator as its 32 bytes.
  const alice = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
  assert.deepEqual(sealedCallInfo(genesisHash, 7, requestHash, alice).subarray(89),
    new Uint8Array(Buffer.from('d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d', 'hex')));
  assert.equal(sealedResponseInfo(genesisHash, 7, requestHash, operator).length, 21 + 32 + 8 + 32 + 32);
});
