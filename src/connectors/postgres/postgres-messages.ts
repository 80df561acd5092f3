/**
 * Client messages after startup: every Query and Execute goes through the gate, in order;
 * everything else is tracked just enough to know what an Execute will run.
 * https://www.postgresql.org/docs/current/protocol-flow.html
 */
import type { Logger } from 'pino';
import type { Command } from '../../core/command.js';
import { GatehouseError, toGatehouseError } from '../../core/errors.js';
import type { CheckHooks, GateSession, Permit } from '../../core/gate.js';
import type {
  PreparedStatements,
  SqlClassification,
  SqlClassifier,
} from './postgres-classifier.js';
import { sqlCommand, unknownPortalCommand } from './postgres-command.js';
import type { Lookup, NameTable } from './postgres-names.js';
import type { Pending, Portal, Statement } from './postgres-pending.js';
import type { ResponseRelay } from './postgres-relay.js';
import { readyForQuery } from './protocol/backend.js';
import type { OutputBatch } from './protocol/batch.js';
import { errorMessage, gatehouseErrorFields } from './protocol/errors.js';
import { readBind, readExecute, readParse, readQuery, readTargeted } from './protocol/extended.js';
import { type FrameView, snapshot } from './protocol/frame-reader.js';
import * as fe from './protocol/frontend.js';

/** What the message handler needs from its session. */
export interface MessageContext {
  gate: GateSession;
  classifier: SqlClassifier;
  prepared: PreparedStatements;
  statements: NameTable<Statement>;
  portals: NameTable<Portal>;
  relay: ResponseRelay;
  /** Messages waiting to be written to the target. */
  toTarget: OutputBatch;
  /** Writes what is batched for the target now. */
  flushTarget(): void;
  /** Writes gateway-made responses straight to the client (nothing may be outstanding). */
  writeClient(bytes: Buffer): void;
  /** The client sent Terminate. */
  terminate(): void;
  target: Readonly<Record<string, string>>;
  logger: Logger;
}

/**
 * Messages without a response of their own must be well-formed: an error the target raised
 * for one could not be attributed to anything.
 */
function expectEmpty(r: FrameView, name: string): void {
  if (r.end - r.bodyStart !== 0) {
    throw new GatehouseError('protocol_violation', `invalid ${name} message: unexpected body`);
  }
}

/** A statement no client can run: the target answers with an error (34000) and no effect. */
const FAILING_QUERY = 'CLOSE "\u0001gatehouse refused"';

const FLUSH = Buffer.from([0x48, 0, 0, 0, 4]);

/** Messages whose meaning depends on prepared statements by name: Query, Bind, Execute. */
const RESOLVES_NAMES = new Set([0x51, 0x42, 0x45]);

/** Messages the target skips after an error until Sync; the gateway drops them likewise. */
const SKIPPED_UNTIL_SYNC = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x51, 0x46]);

export class ClientMessages {
  readonly #ctx: MessageContext;
  /** Number of Syncs forwarded: identifies the pipeline segment a message belongs to. */
  #segment = 0;
  /** After the gateway refused an Execute, drop messages until Sync, as the target would. */
  #skipUntilSync = false;
  /** The target batch holds a Query or Execute, so it must go out before waiting on the gate. */
  #batchHasCommand = false;
  /** Ends a wait for review when the client cancels it or goes away; replaced after a cancel. */
  #stopWaiting = new AbortController();
  /**
   * The last forwarded command that (re)defines prepared statements (PREPARE, DEALLOCATE,
   * DISCARD ALL). Until the target has answered it, what a name means is unknown, so Query, Bind
   * and Execute behind it wait instead of being classified against the old definition.
   */
  #definitions: { done: boolean; settled: Promise<void> } | undefined;
  /** A command is held for review right now (a CancelRequest then ends the wait). */
  #held = false;
  #hooks: CheckHooks;

  constructor(ctx: MessageContext) {
    this.#ctx = ctx;
    this.#hooks = { signal: this.#stopWaiting.signal, onPending: this.#onPending };
  }

  /** Ends the wait of a command held for review (CancelRequest); false when none is held. */
  cancelWait(): boolean {
    if (!this.#held) return false;
    this.#stopWaiting.abort();
    this.#stopWaiting = new AbortController();
    this.#hooks = { signal: this.#stopWaiting.signal, onPending: this.#onPending };
    return true;
  }

  /** The session is ending: a held command stops waiting (its ticket stays open). */
  close(): void {
    this.#stopWaiting.abort();
  }

  /** Handles the reader's current frame; returns a promise only when it must wait. */
  handle(r: FrameView): Promise<void> | undefined {
    const type = r.type;
    if (this.#skipUntilSync && SKIPPED_UNTIL_SYNC.has(type)) return undefined;
    if (this.#definitions && RESOLVES_NAMES.has(type)) {
      const wait = this.#afterDefinitions();
      if (wait) {
        const frame = snapshot(r);
        return wait.then(() => this.handle(frame));
      }
    }
    switch (type) {
      case 0x51: // Q Query
        return this.#query(r);
      case 0x50: // P Parse
        return this.#parse(r);
      case 0x42: // B Bind
        return this.#bind(r);
      case 0x45: // E Execute
        return this.#execute(r);
      case 0x44: // D Describe
        readTargeted(r.body());
        return this.#forward(r, { kind: 'describe' });
      case 0x43: // C Close
        return this.#close(r);
      case 0x53: // S Sync
        expectEmpty(r, 'Sync');
        this.#skipUntilSync = false;
        this.#forward(r, { kind: 'sync' });
        this.#segment++;
        return undefined;
      case 0x48: // H Flush
        expectEmpty(r, 'Flush');
        return this.#forward(r);
      case 0x63: // c CopyDone
        expectEmpty(r, 'CopyDone');
        return this.#forward(r);
      case 0x64: // d CopyData
      case 0x66: // f CopyFail
        return this.#forward(r);
      case 0x58: // X Terminate
        this.#ctx.terminate();
        return undefined;
      case 0x46: // F FunctionCall: runs any function by OID, unseen by the classifier
        this.#refuse(
          new GatehouseError('policy_denied', 'the function call protocol is not supported', {
            hint: 'call the function with SELECT instead',
          }),
          true,
        );
        return undefined;
      default:
        throw new GatehouseError(
          'protocol_violation',
          `invalid frontend message type ${type} ("${String.fromCharCode(type)}")`,
        );
    }
  }

  /** Called once the target batch was written. */
  flushed(): void {
    this.#batchHasCommand = false;
  }

  /** Marks a forwarded command that may change prepared statements (see #definitions). */
  #watchDefinitions(pending: Pending): void {
    const classification = pending.classification;
    if (!classification?.prepare && !classification?.deallocate) return;
    let resolve!: () => void;
    const barrier = { done: false, settled: new Promise<void>((r) => (resolve = r)) };
    this.#definitions = barrier;
    pending.answered = () => {
      barrier.done = true;
      resolve();
    };
  }

  #afterDefinitions(): Promise<void> | undefined {
    const barrier = this.#definitions;
    if (!barrier) return undefined;
    if (barrier.done) {
      this.#definitions = undefined;
      return undefined;
    }
    this.#flushForAnswers();
    return barrier.settled;
  }

  /**
   * Waits until the target answered every Parse/Close in flight, when `classification` runs a
   * prepared statement by name (EXECUTE): its meaning may be changing in those messages.
   */
  #statementsSettled(classification: SqlClassification): Promise<void> | undefined {
    if (!classification.classes.includes('execute')) return undefined;
    const idle = this.#ctx.statements.idle();
    if (idle) this.#flushForAnswers();
    return idle;
  }

  /**
   * Sends what is batched plus a Flush, so the target answers everything it was sent even in
   * the middle of a pipeline segment (the client then sees those answers a little early, which
   * the protocol allows: a server may flush at any time).
   */
  #flushForAnswers(): void {
    this.#ctx.toTarget.add(FLUSH);
    this.#ctx.flushTarget();
  }

  #forward(r: FrameView, pending?: Pending): undefined {
    this.#ctx.toTarget.addRange(r.buf, r.start, r.end);
    if (pending) this.#ctx.relay.expect(pending);
    return undefined;
  }

  #query(r: FrameView): Promise<void> {
    const { buf, start, end } = r;
    const sql = readQuery(r.body());
    const ctx = this.#ctx;
    const classification = ctx.classifier.classify(sql, ctx.prepared);
    const settling = this.#statementsSettled(classification);
    if (settling) {
      const frame = snapshot(r);
      return settling.then(() => this.#query(frame));
    }
    return this.#check(sqlCommand(sql, classification, ctx.target), true).then((permit) => {
      if (!permit) return;
      const modified = permit.text !== sql;
      if (modified) ctx.toTarget.add(fe.query(permit.text));
      else ctx.toTarget.addRange(buf, start, end);
      this.#batchHasCommand = true;
      const pending: Pending = {
        kind: 'query',
        permit,
        classification: modified
          ? ctx.classifier.classify(permit.text, ctx.prepared)
          : classification,
        sql: permit.text,
      };
      this.#dropUnnamed(pending);
      this.#watchDefinitions(pending);
      ctx.relay.expect(pending);
    });
  }

  /** A simple Query also destroys the unnamed statement and portal. */
  #dropUnnamed(pending: Pending): void {
    const { statements, portals } = this.#ctx;
    if (statements.known('')) pending.statementOp = statements.stage('', undefined, this.#segment);
    if (portals.known('')) pending.portalOp = portals.stage('', undefined, this.#segment);
  }

  #parse(r: FrameView): undefined {
    const { statement, sql } = readParse(r.body());
    const ctx = this.#ctx;
    const classification = ctx.classifier.classify(sql, ctx.prepared);
    const statementOp = ctx.statements.stage(statement, { sql, classification }, this.#segment);
    return this.#forward(r, { kind: 'parse', statementOp });
  }

  #bind(r: FrameView): Promise<void> | undefined {
    const bind = readBind(r.body());
    const lookup = this.#ctx.statements.lookup(bind.statement, this.#segment);
    const stage = (statement: Statement | undefined) => {
      const portal: Portal = { statement, statementName: bind.statement, params: bind.params };
      const portalOp = this.#ctx.portals.stage(bind.portal, portal, this.#segment);
      this.#ctx.relay.expect({ kind: 'bind', portalOp });
    };
    if (lookup.ready) {
      this.#ctx.toTarget.addRange(r.buf, r.start, r.end);
      stage(lookup.value);
      return undefined;
    }
    const { buf, start, end } = r;
    return this.#settled(() => this.#ctx.statements.lookup(bind.statement, this.#segment)).then(
      (statement) => {
        this.#ctx.toTarget.addRange(buf, start, end);
        stage(statement);
      },
    );
  }

  #execute(r: FrameView): Promise<void> {
    const { buf, start, end } = r;
    const { portal } = readExecute(r.body());
    const ctx = this.#ctx;
    const lookup = ctx.portals.lookup(portal, this.#segment);
    if (lookup.ready) return this.#executePortal(portal, lookup.value, buf, start, end);
    return this.#settled(() => ctx.portals.lookup(portal, this.#segment)).then((found) =>
      this.#executePortal(portal, found, buf, start, end),
    );
  }

  #executePortal(
    portal: string,
    found: Portal | undefined,
    buf: Buffer,
    start: number,
    end: number,
  ): Promise<void> {
    const ctx = this.#ctx;
    const statement = found?.statement;
    // A Parse'd text may itself EXECUTE a prepared statement: classify it as of now.
    const classification =
      statement &&
      (statement.sqlPrepared
        ? statement.classification
        : ctx.classifier.classify(statement.sql, ctx.prepared));
    const settling = classification && this.#statementsSettled(classification);
    if (settling) return settling.then(() => this.#executePortal(portal, found, buf, start, end));
    const command = classification
      ? sqlCommand(statement.sql, classification, ctx.target, found.params)
      : unknownPortalCommand(portal, ctx.target);
    return this.#check(command, false).then((permit) => {
      if (!permit) return;
      if (permit.text !== command.text) {
        const error = new GatehouseError(
          'policy_denied',
          'the reviewer modified this command; modified commands run only through the simple query protocol',
        );
        ctx.gate.complete(permit, { error: { code: '42501', message: error.message } });
        this.#refuse(error, false);
        return;
      }
      ctx.toTarget.addRange(buf, start, end);
      this.#batchHasCommand = true;
      const pending: Pending = { kind: 'execute', permit, classification, sql: statement?.sql };
      this.#watchDefinitions(pending);
      ctx.relay.expect(pending);
    });
  }

  #close(r: FrameView): undefined {
    const { kind, name } = readTargeted(r.body());
    const ctx = this.#ctx;
    if (kind === 'S') {
      const statementOp = ctx.statements.stage(name, undefined, this.#segment);
      return this.#forward(r, { kind: 'close', statementOp });
    }
    const portalOp = ctx.portals.stage(name, undefined, this.#segment);
    return this.#forward(r, { kind: 'close', portalOp });
  }

  /** Waits until an older segment's Parse/Bind/Close was answered, then looks the name up again. */
  async #settled<V>(lookup: () => Lookup<V>): Promise<V | undefined> {
    this.#ctx.flushTarget();
    for (;;) {
      const result = lookup();
      if (result.ready) return result.value;
      await result.wait;
    }
  }

  /** Asks the gate; on refusal answers the client as PostgreSQL would and resolves undefined. */
  #check(command: Command, simple: boolean): Promise<Permit | undefined> {
    // Commands already batched must not wait for this one's decision (which may take a review).
    if (this.#batchHasCommand) this.#ctx.flushTarget();
    return this.#ctx.gate.check(command, this.#hooks).then(
      (permit) => {
        this.#held = false;
        return permit;
      },
      (err: unknown) => {
        this.#held = false;
        this.#refuse(err, simple);
        return undefined;
      },
    );
  }

  /** Tells the client its command is held (a NoticeResponse may come at any time). */
  readonly #onPending = (ticketId: string, url: string): void => {
    this.#held = true;
    const notice = errorMessage(
      {
        severity: 'NOTICE',
        code: '00000',
        message: `gatehouse: held for review (ticket ${ticketId}); waiting for a decision`,
        hint: `review it at ${url}`,
      },
      'N',
    );
    this.#ctx.writeClient(notice);
  };

  /**
   * Sends the gateway's error where the target's answer to the refused message would have been.
   * Unless the answer can be given right away (simple query, nothing outstanding, no transaction),
   * the target is sent a statement that fails without effect and its error is swapped for ours:
   * that keeps responses in order and makes an open transaction fail on the target as well, so a
   * later COMMIT cannot commit what the client was told had failed.
   */
  #refuse(err: unknown, simple: boolean): void {
    const ctx = this.#ctx;
    const error = toGatehouseError(err);
    if (error.code === 'internal') ctx.logger.error({ err }, 'gate check failed');
    const refusal = errorMessage(gatehouseErrorFields(error));
    if (simple) {
      if (ctx.relay.outstanding === 0 && ctx.relay.txStatus === 0x49) {
        ctx.writeClient(Buffer.concat([refusal, readyForQuery('I')]));
        return;
      }
      ctx.toTarget.add(fe.query(FAILING_QUERY));
      const pending: Pending = { kind: 'query', refusal };
      this.#dropUnnamed(pending);
      ctx.relay.expect(pending);
    } else {
      ctx.toTarget.add(fe.executeMissingPortal());
      ctx.relay.expect({ kind: 'execute', refusal });
      this.#skipUntilSync = true;
    }
    this.#batchHasCommand = true;
  }
}
