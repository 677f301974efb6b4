// Sending a transaction and waiting for its block to be finalized, with the runtime's errors
// named as the metadata names them.
import type { SubmittableExtrinsic, AddressOrPair, SignerOptions } from '@polkadot/api/types';
import type { Registry } from '@polkadot/types/types';
import type { DispatchError, EventRecord, Hash } from '@polkadot/types/interfaces';

/** A dispatch error of the runtime: `pallet.Name` and the metadata's doc of it. */
export class ChainError extends Error {
  constructor(
    /** `pallet.Name`, e.g. `gateway.DeadlineOutOfRange`, or the error's text if not a module's. */
    readonly error: string,
    /** The error's documentation in the runtime's metadata. */
    readonly docs: string,
  ) {
    super(docs ? `${error}: ${docs}` : error);
    this.name = 'ChainError';
  }
}

/** The ChainError a dispatch error stands for. */
export function chainError(registry: Registry, dispatchError: DispatchError): ChainError {
  if (dispatchError.isModule) {
    const { section, name, docs } = registry.findMetaError(dispatchError.asModule);
    return new ChainError(`${section}.${name}`, docs.join(' ').trim());
  }
  return new ChainError(dispatchError.toString(), '');
}

/** Where a transaction is: sent to the pool, in a block, in a finalized block. */
export type TxProgress = { stage: 'sent' } | { stage: 'inBlock' | 'finalized'; blockHash: string };

export interface SendOptions {
  /** Gives up after this long (default two minutes). */
  timeoutMs?: number;
  /** Told each stage as it is reached: for a progress line in a user interface. */
  onProgress?: (progress: TxProgress) => void;
  /** polkadot.js's signing options: an injected `signer` from a browser extension, a nonce, a tip. */
  signerOptions?: Partial<SignerOptions>;
  /**
   * Resolves once the transaction is in a best block rather than a finalized one (the default):
   * for a next step that needs its events at once and is itself finalized later.
   */
  until?: 'inBlock' | 'finalized';
}

export interface Included {
  blockHash: string;
  events: EventRecord[];
}

/**
 * Signs `tx` as `signer` and resolves once its block is finalized (or only in a block, with
 * `until: 'inBlock'`) with the block's hash and the transaction's events; rejects with a
 * ChainError if the transaction failed, or if it was dropped, invalid or not finalized in time.
 */
export function send(tx: SubmittableExtrinsic<'promise'>, signer: AddressOrPair, options: SendOptions = {}): Promise<Included> {
  const { timeoutMs = 120_000, onProgress, signerOptions = {}, until = 'finalized' } = options;
  onProgress?.({ stage: 'sent' });
  const awaited = until === 'inBlock' ? 'in a block' : 'finalized';
  return followUntil<Included>(timeoutMs, `transaction not ${awaited} within ${timeoutMs} ms`, (resolve, reject) =>
    tx.signAndSend(signer, signerOptions, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        reject(chainError(tx.registry, dispatchError));
      } else if (status.isInBlock) {
        const blockHash = status.asInBlock.toHex();
        onProgress?.({ stage: 'inBlock', blockHash });
        if (until === 'inBlock') resolve({ blockHash, events });
      } else if (status.isFinalized) {
        const blockHash = (status.asFinalized as Hash).toHex();
        onProgress?.({ stage: 'finalized', blockHash });
        resolve({ blockHash, events });
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        reject(new Error(`transaction ${status.type.toLowerCase()}`));
      }
    }));
}

/**
 * A promise that `follow` settles, once, through the resolve and reject it is given, or that
 * rejects with `timeoutMessage` after `timeoutMs`. `follow` starts a subscription and resolves
 * with the function that ends it, which is called once the promise is settled.
 */
export function followUntil<T>(
  timeoutMs: number,
  timeoutMessage: string,
  follow: (resolve: (value: T) => void, reject: (error: unknown) => void) => Promise<() => void>,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let unsubscribe: (() => void) | undefined;
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe?.();
      outcome();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(timeoutMessage))), timeoutMs);
    follow((value) => finish(() => resolve(value)), (error) => finish(() => reject(error))).then((u) => {
      unsubscribe = u;
      if (settled) u();
    }, (error: unknown) => finish(() => reject(error)));
  });
}

/** The data of the first event `section.method` among `events`, or throws. */
export function findEvent(events: EventRecord[], section: string, method: string) {
  const found = events.find(({ event }) => event.section === section && event.method === method);
  if (!found) throw new Error(`no ${section}.${method} event`);
  return found.event;
}
