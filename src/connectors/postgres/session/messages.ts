/**
 * Client messages after startup: every Query and Execute goes through the gate, in order;
 * everything else is tracked just enough to know what an Execute will run.
 * https://www.postgresql.org/docs/current/protocol-flow.html
 */
import type { Logger } from 'pino';
import type { Command } from '../../../core/command.js';
import { GatehouseError } from '../../../core/errors.js';
import type { GateSession, Permit } from '../../../core/gate.js';
import type { PreparedStatements, SqlClassifier } from '../classify/classifier.js';
import { resolveCopy } from '../masking/copy-resolve.js';
import { DescribeInjection } from '../masking/describe-inject.js';
import type { OutputBatch } from '../protocol/batch.js';
import { readBind, readExecute, readParse, readQuery, readTargeted } from '../protocol/extended.js';
import { type FrameView, snapshot } from '../protocol/frame-reader.js';
import * as fe from '../protocol/frontend.js';
import { FrontendCode } from '../protocol/message-codes.js';
import { sqlCommand, unknownPortalCommand } from './command.js';
import { NameWaits } from './name-waits.js';
import type { NameTable } from './names.js';
import type { Pending, Portal, Statement } from './pending.js';
import { refuse } from './refusal.js';
import type { ResponseRelay } from './relay.js';
import { ReviewWait } from './review-wait.js';

/** What the message handler needs from its session. */
export interface MessageContext {
  gate: GateSession;
  classifier: SqlClassifier;
  prepared: PreparedStatements;
  statements: NameTable<Statement>;
  portals: NameTable<Portal>;
  relay: ResponseRelay;
  /**
   * Column rules mask by the rows' description: an Execute of a portal whose description the
   * response stream will not carry is preceded by the gateway's own Describe of it.
   */
  describePortals: boolean;
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

/** Messages whose meaning depends on prepared statements by name: Query, Bind, Execute. */
const RESOLVES_NAMES = new Set<number>([
  FrontendCode.Query,
  FrontendCode.Bind,
  FrontendCode.Execute,
]);

/** Messages the target skips after an error until Sync; the gateway drops them likewise. */
const SKIPPED_UNTIL_SYNC = new Set<number>([
  FrontendCode.Parse,
  FrontendCode.Bind,
  FrontendCode.Describe,
  FrontendCode.Execute,
  FrontendCode.Close,
  FrontendCode.Query,
  FrontendCode.FunctionCall,
]);

export class ClientMessages {
  readonly #ctx: MessageContext;
  /** Number of Syncs forwarded: identifies the pipeline segment a message belongs to. */
  #segment = 0;
  /** After the gateway refused an Execute, drop messages until Sync, as the target would. */
  #skipUntilSync = false;
  /** The target batch holds a Query or Execute, so it must go out before waiting on the gate. */
  #batchHasCommand = false;
  readonly #waits: NameWaits;
  readonly #review: ReviewWait;
  /** Only with column rules (`describePortals`): the gateway's own Describes before Executes. */
  readonly #describes: DescribeInjection | undefined;

  constructor(ctx: MessageContext) {
    this.#ctx = ctx;
    this.#waits = new NameWaits(ctx.statements, ctx.toTarget, () => ctx.flushTarget());
    this.#review = new ReviewWait(ctx.gate, ctx.writeClient);
    this.#describes = ctx.describePortals ? new DescribeInjection(ctx) : undefined;
  }

  /** Ends the wait of a command held for review (CancelRequest); false when none is held. */
  cancelWait(): boolean {
    return this.#review.cancel();
  }

  /** The session is ending: a held command stops waiting (its ticket stays open). */
  close(): void {
    this.#review.close();
  }

  /** Handles the reader's current frame; returns a promise only when it must wait. */
  handle(r: FrameView): Promise<void> | undefined {
    const type = r.type;
    if (this.#skipUntilSync && SKIPPED_UNTIL_SYNC.has(type)) return undefined;
    if (RESOLVES_NAMES.has(type)) {
      const wait = this.#waits.definitionsAnswered();
      if (wait) {
        const frame = snapshot(r);
        return wait.then(() => this.handle(frame));
      }
    }
    switch (type) {
      case FrontendCode.Query:
        return this.#query(r);
      case FrontendCode.Parse:
        return this.#parse(r);
      case FrontendCode.Bind:
        return this.#bind(r);
      case FrontendCode.Execute:
        return this.#execute(r);
      case FrontendCode.Describe:
        return this.#describe(r);
      case FrontendCode.Close:
        return this.#close(r);
      case FrontendCode.Sync:
        expectEmpty(r, 'Sync');
        this.#skipUntilSync = false;
        this.#forward(r, { kind: 'sync' });
        this.#segment++;
        return undefined;
      case FrontendCode.Flush:
        expectEmpty(r, 'Flush');
        return this.#forward(r);
      case FrontendCode.CopyDone:
        expectEmpty(r, 'CopyDone');
        return this.#forward(r);
      case FrontendCode.CopyData:
      case FrontendCode.CopyFail:
        return this.#forward(r);
      case FrontendCode.Terminate:
        this.#ctx.terminate();
        return undefined;
      case FrontendCode.FunctionCall: // runs any function by OID, unseen by the classifier
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

  #forward(r: FrameView, pending?: Pending): undefined {
    this.#ctx.toTarget.addRange(r.buf, r.start, r.end);
    if (pending) this.#ctx.relay.expect(pending);
    return undefined;
  }

  #query(r: FrameView): Promise<void> {
    // Its results end whatever description the transform held.
    this.#describes?.reset();
    const { buf, start, end } = r;
    const sql = readQuery(r.body());
    const ctx = this.#ctx;
    const classification = ctx.classifier.classify(sql, ctx.prepared);
    const settling = this.#waits.statementsAnswered(classification);
    if (settling) {
      const frame = snapshot(r);
      return settling.then(() => this.#query(frame));
    }
    return this.#check(sqlCommand(sql, classification, ctx.target), true).then((permit) => {
      if (!permit) return;
      const modified = permit.text !== sql;
      const runs = modified ? ctx.classifier.classify(permit.text, ctx.prepared) : classification;
      const copy = ctx.describePortals ? resolveCopy(ctx, permit.text, runs) : undefined;
      if (modified) ctx.toTarget.add(fe.query(permit.text));
      else ctx.toTarget.addRange(buf, start, end);
      this.#batchHasCommand = true;
      const pending: Pending = { kind: 'query', permit, classification: runs, sql: permit.text };
      if (copy) pending.copy = copy;
      this.#dropUnnamed(pending);
      this.#waits.watch(pending);
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

  #describe(r: FrameView): undefined {
    const { kind, name } = readTargeted(r.body());
    // A statement's description describes no rows; an unsettled portal is described again.
    this.#describes?.clientDescribed(
      kind === 'P' ? (this.#ctx.portals.peek(name, this.#segment) ?? name) : undefined,
    );
    return this.#forward(r, { kind: 'describe' });
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
    return this.#waits
      .settled(() => this.#ctx.statements.lookup(bind.statement, this.#segment))
      .then((statement) => {
        this.#ctx.toTarget.addRange(buf, start, end);
        stage(statement);
      });
  }

  #execute(r: FrameView): Promise<void> {
    const { buf, start, end } = r;
    const { portal } = readExecute(r.body());
    const ctx = this.#ctx;
    const lookup = ctx.portals.lookup(portal, this.#segment);
    if (lookup.ready) return this.#executePortal(portal, lookup.value, buf, start, end);
    return this.#waits
      .settled(() => ctx.portals.lookup(portal, this.#segment))
      .then((found) => this.#executePortal(portal, found, buf, start, end));
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
    const settling = classification && this.#waits.statementsAnswered(classification);
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
      const undescribed =
        this.#describes !== undefined && !this.#describes.beforeExecute(portal, found);
      ctx.toTarget.addRange(buf, start, end);
      this.#batchHasCommand = true;
      const pending: Pending = { kind: 'execute', permit, classification, sql: statement?.sql };
      if (undescribed) pending.undescribed = true;
      this.#waits.watch(pending);
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

  /** Asks the gate; on refusal answers the client as PostgreSQL would and resolves undefined. */
  #check(command: Command, simple: boolean): Promise<Permit | undefined> {
    // Commands already batched must not wait for this one's decision (which may take a review).
    if (this.#batchHasCommand) this.#ctx.flushTarget();
    return this.#review.check(command, (err) => this.#refuse(err, simple));
  }

  /** Answers a refusal where the target's answer would have been (see refuse()). */
  #refuse(err: unknown, simple: boolean): void {
    this.#describes?.reset();
    const pending = refuse(this.#ctx, err, simple);
    if (!pending) return;
    if (simple) this.#dropUnnamed(pending);
    else this.#skipUntilSync = true;
    this.#ctx.relay.expect(pending);
    this.#batchHasCommand = true;
  }
}
