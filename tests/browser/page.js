// What a dApp's page does with @baton/client in a browser, bundled by the browser test: connect
// to the node, open a relay session with a key pair of its own, and call the session's operator
// straight from the page (a cross-origin call to its relay endpoint, preflight included).
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { RelaySession, connect, getQuote } from '@baton/client';

window.relayFromPage = async ({ node, suri, apiId, path }) => {
  await cryptoWaitReady();
  const client = new Keyring({ type: 'sr25519' }).addFromUri(suri);
  const api = await connect(node);
  const quote = await getQuote(api, apiId, 1);
  const cost = BigInt(quote.pricePerOperator) + BigInt(quote.protocolFee);
  const session = await RelaySession.open(api, client, { apiId, operators: 1, allowance: 10n * cost, blocks: 100 });
  const answer = await session.fetch({ path, headers: { accept: 'application/json' } });
  const result = {
    sessionId: session.id,
    status: answer.status,
    body: answer.body,
    operator: answer.operator,
    verified: session.verify(answer),
    origin: location.origin,
  };
  await session.close();
  await api.disconnect();
  return result;
};
