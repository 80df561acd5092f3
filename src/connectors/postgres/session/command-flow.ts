/**
 * The commands of a session, Query and Execute: each is classified, checked by the gate (which
 * may hold it for review), then forwarded, or refused where the target's answer would have been;
 * in the order the client sent them.
 */
import type { Command } from '../../../core/command.js';
import { GatehouseError } from '../../../core/errors.js';
import type { Permit } from '../../../core/gate.js';
import { resolveCopy } from '../masking/copy-resolve.js';
import type { DescribeInjection } from '../masking/describe-inject.js';
import { readExecute, readFunctionCall, readQuery } from '../protocol/extended.js';
import { type FrameView, snapshot } from '../protocol/frame-reader.js';
import * as fe from '../protocol/frontend.js';
import { sqlCommand, unknownPortalCommand } from './command.js';
import type { MessageContext } from './message-context.js';
import { ModifyProbe, probeMismatch } from './modify-probe.js';
import type { NameWaits } from './name-waits.js';
import type { Pending, Portal, ProbeResult } from './pending.js';
import { refuse } from './refusal.js';
import { ReviewWait } from './review-wait.js';

/** Where the message dispatch stands in the client's pipeline (shared with the command flow). */
export interface Pipeline {
  /** Number of Syncs forwarded: identifies the pipeline segment a message belongs to. */
  segment: number;
  /** After the gateway refused an Execute, drop messages until Sync, as the target would. */
  skipUntilSync: boolean;
}

/** The gateway's own statement and portal for a reviewer's modified extended-protocol command. */
const MODIFIED = '\u0001gatehouse modified';

/**
 * Why the reviewer's text cannot run in place of the client's portal before even asking the
 * target, or undefined: the portal must be known, and run whole.
 */
function modifiedProblem(found: Portal | undefined, maxRows: number): string | undefined {
  if (!found?.statement) return 'the gateway did not see this portal bound';
  if (maxRows > 0) return 'a row-limited Execute cannot be resumed on a modified command';
  return undefined;
}

/**
 * The built-in large-object functions libpq calls over the fast path (their OIDs are fixed in
 * PostgreSQL's catalog, pg_proc.dat). lo_import/lo_export of server files are not among them.
 */
const LARGE_OBJECT_FUNCTIONS: ReadonlyMap<number, string> = new Map([
  [715, 'lo_create'],
  [952, 'lo_open'],
  [953, 'lo_close'],
  [954, 'loread'],
  [955, 'lowrite'],
  [956, 'lo_lseek'],
  [957, 'lo_creat'],
  [958, 'lo_tell'],
  [964, 'lo_unlink'],
  [1004, 'lo_truncate'],
  [3170, 'lo_lseek64'],
  [3171, 'lo_tell64'],
  [3172, 'lo_truncate64'],
]);

export class CommandFlow {
  readonly #ctx: MessageContext;
  readonly #pipeline: Pipeline;
  readonly #waits: NameWaits;
  /** Only with column rules (`describePortals`): the gateway's own Describes before Executes. */
  readonly #describes: DescribeInjection | undefined;
  readonly #review: ReviewWait;
  /** The target batch holds a Query or Execute, so it must go out before waiting on the gate. */
  #batchHasCommand = false;

  constructor(
    ctx: MessageContext,
    pipeline: Pipeline,
    waits: NameWaits,
    describes: DescribeInjection | undefined,
  ) {
    this.#ctx = ctx;
    this.#pipeline = pipeline;
    this.#waits = waits;
    this.#describes = describes;
    this.#review = new ReviewWait(ctx.gate, ctx.writeClient);
  }

  /** Ends the wait of a command held for review (CancelRequest); false when none is held. */
  cancelWait(): boolean {
    return this.#review.cancel();
  }

  /** The session is ending: a held command stops waiting (its ticket stays open). */
  close(): void {
    this.#review.close();
  }

  /** Called once the target batch was written. */
  flushed(): void {
    this.#batchHasCommand = false;
  }

  /** A simple Query: checked, then forwarded or refused. */
  query(r: FrameView): Promise<void> {
    // Its results end whatever description the transform held.
    this.#describes?.reset();
    const { buf, start, end } = r;
    const sql = readQuery(r.body());
    const ctx = this.#ctx;
    const classified = ctx.classifier.classifyOffThread(sql, ctx.prepared);
    if (classified instanceof Promise) {
      // A big text is parsed in a worker thread; other sessions go on meanwhile.
      const frame = snapshot(r);
      return classified.then(() => this.query(frame));
    }
    const classification = classified;
    const settling = this.#waits.statementsAnswered(classification);
    if (settling) {
      const frame = snapshot(r);
      return settling.then(() => this.query(frame));
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

  /**
   * A FunctionCall (fast path): libpq's large-object functions (`lo_import`, `\\lo_export`, …
   * call lo_open, loread, lowrite, … this way) are checked as the `SELECT pg_catalog.f($1, …)`
   * they amount to, with the arguments as parameters, and forwarded; answered like a Query
   * (FunctionCallResponse, ReadyForQuery). Any other function, or any call while responses are
   * masked (the result would pass unmasked), is refused.
   */
  functionCall(r: FrameView): Promise<void> {
    const { buf, start, end } = r;
    const call = readFunctionCall(r.body());
    const ctx = this.#ctx;
    const name = LARGE_OBJECT_FUNCTIONS.get(call.oid);
    if (!name || ctx.masked) {
      this.refuse(
        new GatehouseError(
          'policy_denied',
          name
            ? 'the function call protocol is not supported while responses are masked'
            : `the function call protocol is supported only for the large-object functions (function ${call.oid})`,
          { hint: 'call the function with SELECT instead' },
        ),
        true,
      );
      return Promise.resolve();
    }
    const placeholders = call.args.map((_, i) => `$${i + 1}`).join(', ');
    const sql = `SELECT pg_catalog.${name}(${placeholders})`;
    const classification = ctx.classifier.classify(sql, ctx.prepared);
    const command = sqlCommand(sql, classification, ctx.target, call.args);
    return this.#check(command, true).then((permit) => {
      if (!permit) return;
      ctx.toTarget.addRange(buf, start, end);
      this.#batchHasCommand = true;
      const pending: Pending = { kind: 'query', permit, classification, sql };
      this.#waits.watch(pending);
      ctx.relay.expect(pending);
    });
  }

  /** A simple Query also destroys the unnamed statement and portal. */
  #dropUnnamed(pending: Pending): void {
    const { statements, portals } = this.#ctx;
    const { segment } = this.#pipeline;
    if (statements.known('')) pending.statementOp = statements.stage('', undefined, segment);
    if (portals.known('')) pending.portalOp = portals.stage('', undefined, segment);
  }

  /** An Execute: checked with its portal's statement and parameters once the portal is known. */
  execute(r: FrameView): Promise<void> {
    const { buf, start, end } = r;
    const { portal, maxRows } = readExecute(r.body());
    const ctx = this.#ctx;
    const lookup = ctx.portals.lookup(portal, this.#pipeline.segment);
    const frame = { buf, start, end, maxRows };
    if (lookup.ready) return this.#executePortal(portal, lookup.value, frame);
    return this.#waits
      .settled(() => ctx.portals.lookup(portal, this.#pipeline.segment))
      .then((found) => this.#executePortal(portal, found, frame));
  }

  #executePortal(
    portal: string,
    found: Portal | undefined,
    frame: { buf: Buffer; start: number; end: number; maxRows: number },
  ): Promise<void> {
    const { buf, start, end } = frame;
    const ctx = this.#ctx;
    const statement = found?.statement;
    // A Parse'd text may itself EXECUTE a prepared statement: classify it as of now.
    const classification =
      statement &&
      (statement.sqlPrepared
        ? statement.classification
        : ctx.classifier.classify(statement.sql, ctx.prepared));
    const settling = classification && this.#waits.statementsAnswered(classification);
    if (settling) return settling.then(() => this.#executePortal(portal, found, frame));
    const command = classification
      ? sqlCommand(statement.sql, classification, ctx.target, found.params)
      : unknownPortalCommand(portal, ctx.target);
    return this.#check(command, false).then((permit) => {
      if (!permit) return undefined;
      if (permit.text !== command.text) {
        const problem = modifiedProblem(found, frame.maxRows);
        if (!problem) return this.#probeModified(permit, found!);
        this.#refuseModified(permit, problem);
        return undefined;
      }
      const undescribed =
        this.#describes !== undefined && !this.#describes.beforeExecute(portal, found);
      ctx.toTarget.addRange(buf, start, end);
      this.#batchHasCommand = true;
      const pending: Pending = { kind: 'execute', permit, classification, sql: statement?.sql };
      if (undescribed) pending.undescribed = true;
      this.#waits.watch(pending);
      ctx.relay.expect(pending);
      return undefined;
    });
  }

  /** Refuses a modified command that cannot run with the client's bound values. */
  #refuseModified(permit: Permit, problem: string): void {
    const error = new GatehouseError(
      'policy_denied',
      `the reviewer modified this command, and the modified text cannot run with your bound parameters: ${problem}`,
      {
        hint: 'run it through the simple query protocol, or ask the reviewer to keep the parameters and result columns',
      },
    );
    this.#ctx.gate.complete(permit, { error: { code: '42501', message: error.message } });
    this.refuse(error, false);
  }

  /**
   * Asks the target what the client's text and the reviewer's take and return (modify-probe.ts),
   * then runs the reviewer's text with the client's values if they match, or refuses. A failed
   * Parse of either is the Execute's error (the target's, as is); the target then skips up to
   * Sync, and so does the gateway. Nothing else is outstanding once the probe is answered (the
   * client's later messages wait for this one), so that error goes to the client directly.
   */
  #probeModified(permit: Permit, found: Portal): Promise<void> {
    const ctx = this.#ctx;
    const statement = found.statement!;
    const probe = new ModifyProbe();
    if (ctx.relay.skippingUntilSync) {
      // An earlier message of this pipeline failed: the target would skip the probe (and never
      // answer it before the client's Sync), as it would have skipped the Execute.
      probe.result.skipped = true;
      return Promise.resolve(this.#afterProbe(permit, found, probe.result));
    }
    probe.send(
      ctx.toTarget,
      ctx.relay,
      { sql: statement.sql, types: statement.paramTypes ?? [] },
      permit.text,
    );
    ctx.flushTarget();
    return probe.done.then((result) => this.#afterProbe(permit, found, result));
  }

  /** Runs or refuses the modified command once the probe was answered (or skipped). */
  #afterProbe(permit: Permit, found: Portal, result: ProbeResult): void {
    const ctx = this.#ctx;
    if (result.skipped || result.errorFrame) {
      // The target skips up to Sync: after an earlier error (the Execute is skipped too), or
      // after the probe's own failed Parse (the Execute's error).
      this.#describes?.reset();
      this.#pipeline.skipUntilSync = true;
      const error = result.error ?? {
        message: 'not executed: an earlier message of the pipeline failed',
      };
      ctx.gate.complete(permit, { error });
      if (result.errorFrame && !result.skipped) ctx.writeClient(result.errorFrame);
      return;
    }
    const mismatch = probeMismatch(result, found.params.length);
    if (mismatch) {
      this.#refuseModified(permit, mismatch);
      return;
    }
    this.#executeModified(permit, found, result.original.params ?? []);
  }

  /**
   * Runs the reviewer's text in place of the client's portal, with the client's bound values:
   * as the gateway's own statement and portal (MODIFIED), which the client never sees made —
   * Close, Parse with the parameter types of the client's statement (as the target inferred or
   * the client declared them), Bind with the client's values and formats, (Describe for
   * masking), Execute (the client's command), Close.
   */
  #executeModified(permit: Permit, found: Portal, types: number[]): void {
    const ctx = this.#ctx;
    const count = found.params.length;
    const formats = found.paramFormats ?? found.params.map(() => 0);
    const values = found.params.map((value, i) =>
      value === null
        ? null
        : formats[i] === 1
          ? Buffer.from(value.slice(2), 'hex')
          : Buffer.from(value, 'utf8'),
    );
    const hidden = (message: Buffer, kind: Pending['kind']) => {
      ctx.toTarget.add(message);
      ctx.relay.expect({ kind, injected: true });
    };
    hidden(fe.closeStatement(MODIFIED), 'close');
    hidden(fe.parse(MODIFIED, permit.text, types.slice(0, count)), 'parse');
    hidden(fe.bind(MODIFIED, MODIFIED, formats, values, found.resultFormats ?? []), 'bind');
    const runs = ctx.classifier.classify(permit.text, ctx.prepared);
    const modifiedPortal: Portal = {
      statement: { sql: permit.text, classification: runs },
      statementName: MODIFIED,
      params: found.params,
    };
    const undescribed =
      this.#describes !== undefined && !this.#describes.beforeExecute(MODIFIED, modifiedPortal);
    ctx.toTarget.add(fe.execute(MODIFIED, 0));
    this.#batchHasCommand = true;
    const pending: Pending = { kind: 'execute', permit, classification: runs, sql: permit.text };
    if (undescribed) pending.undescribed = true;
    this.#waits.watch(pending);
    ctx.relay.expect(pending);
    hidden(fe.closeStatement(MODIFIED), 'close');
  }

  /** Asks the gate; on refusal answers the client as PostgreSQL would and resolves undefined. */
  #check(command: Command, simple: boolean): Promise<Permit | undefined> {
    // Commands already batched must not wait for this one's decision (which may take a review).
    if (this.#batchHasCommand) this.#ctx.flushTarget();
    return this.#review.check(command, (err) => this.refuse(err, simple));
  }

  /** Answers a refusal where the target's answer would have been (see refuse()). */
  refuse(err: unknown, simple: boolean): void {
    this.#describes?.reset();
    const pending = refuse(this.#ctx, err, simple);
    if (!pending) return;
    if (simple) this.#dropUnnamed(pending);
    else this.#pipeline.skipUntilSync = true;
    this.#ctx.relay.expect(pending);
    this.#batchHasCommand = true;
  }
}
