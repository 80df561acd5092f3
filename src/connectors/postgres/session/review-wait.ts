/**
 * Waiting for the gate's decision on one command, which may be held for review: the client is
 * told with a NoticeResponse while it is held, a CancelRequest ends the wait, and a decision
 * arriving after the session ended is not acted on.
 */
import type { Command } from '../../../core/command.js';
import type { CheckHooks, GateSession, Permit } from '../../../core/gate.js';
import { errorMessage } from '../protocol/errors.js';
import { BackendCode } from '../protocol/message-codes.js';

export class ReviewWait {
  readonly #gate: GateSession;
  readonly #writeClient: (bytes: Buffer) => void;
  /** Ends a wait for review when the client cancels it or goes away; replaced after a cancel. */
  #stopWaiting = new AbortController();
  /** The session is over: decisions arriving now are not acted on. */
  #closed = false;
  /** A command is held for review right now (a CancelRequest then ends the wait). */
  #held = false;
  #hooks: CheckHooks;

  /** `writeClient` writes straight to the client (a notice may come at any time). */
  constructor(gate: GateSession, writeClient: (bytes: Buffer) => void) {
    this.#gate = gate;
    this.#writeClient = writeClient;
    this.#hooks = { signal: this.#stopWaiting.signal, onPending: this.#onPending };
  }

  /**
   * Asks the gate. Resolves the permit, or undefined when the command does not run: refused
   * (`refused` is called with the gate's error) or the session ended while the gate decided.
   */
  check(command: Command, refused: (err: unknown) => void): Promise<Permit | undefined> {
    return this.#gate.check(command, this.#hooks).then(
      (permit) => {
        this.#held = false;
        if (!this.#closed) return permit;
        // The session ended while the gate decided: the command never reaches the target.
        this.#gate.complete(permit, { error: { message: 'not executed: the session ended' } });
        return undefined;
      },
      (err: unknown) => {
        this.#held = false;
        if (!this.#closed) refused(err);
        return undefined;
      },
    );
  }

  /** Ends the wait of a command held for review (CancelRequest); false when none is held. */
  cancel(): boolean {
    if (!this.#held) return false;
    this.#stopWaiting.abort();
    this.#stopWaiting = new AbortController();
    this.#hooks = { signal: this.#stopWaiting.signal, onPending: this.#onPending };
    return true;
  }

  /** The session is ending: a held command stops waiting (its ticket stays open). */
  close(): void {
    this.#closed = true;
    this.#stopWaiting.abort();
  }

  /** Tells the client its command is held. */
  readonly #onPending = (ticketId: string, url: string): void => {
    this.#held = true;
    const notice = errorMessage(
      {
        severity: 'NOTICE',
        code: '00000',
        message: `gatehouse: held for review (ticket ${ticketId}); waiting for a decision`,
        hint: `review it at ${url}`,
      },
      BackendCode.NoticeResponse,
    );
    this.#writeClient(notice);
  };
}
