/**
 * Client messages after startup, dispatched by type: every Query and Execute goes through the
 * gate, in order (command-flow.ts); everything else is tracked just enough to know what an
 * Execute will run.
 * https://www.postgresql.org/docs/current/protocol-flow.html
 */
import { GatehouseError } from '../../../core/errors.js';
import { DescribeInjection } from '../masking/describe-inject.js';
import { readBind, readParse, readTargeted } from '../protocol/extended.js';
import { type FrameView, snapshot } from '../protocol/frame-reader.js';
import { FrontendCode } from '../protocol/message-codes.js';
import { CommandFlow, type Pipeline } from './command-flow.js';
import type { MessageContext } from './message-context.js';
import { NameWaits } from './name-waits.js';
import type { Pending, Portal, Statement } from './pending.js';

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
  readonly #pipeline: Pipeline = { segment: 0, skipUntilSync: false };
  readonly #waits: NameWaits;
  /** Only with column rules (`describePortals`): the gateway's own Describes before Executes. */
  readonly #describes: DescribeInjection | undefined;
  readonly #commands: CommandFlow;

  constructor(ctx: MessageContext) {
    this.#ctx = ctx;
    this.#waits = new NameWaits(ctx.statements, ctx.toTarget, () => ctx.flushTarget());
    this.#describes = ctx.describePortals ? new DescribeInjection(ctx) : undefined;
    this.#commands = new CommandFlow(ctx, this.#pipeline, this.#waits, this.#describes);
  }

  /** Ends the wait of a command held for review (CancelRequest); false when none is held. */
  cancelWait(): boolean {
    return this.#commands.cancelWait();
  }

  /** The session is ending: a held command stops waiting (its ticket stays open). */
  close(): void {
    this.#commands.close();
  }

  /** Handles the reader's current frame; returns a promise only when it must wait. */
  handle(r: FrameView): Promise<void> | undefined {
    const type = r.type;
    if (this.#pipeline.skipUntilSync && SKIPPED_UNTIL_SYNC.has(type)) return undefined;
    if (RESOLVES_NAMES.has(type)) {
      const wait = this.#waits.definitionsAnswered();
      if (wait) {
        const frame = snapshot(r);
        return wait.then(() => this.handle(frame));
      }
    }
    switch (type) {
      case FrontendCode.Query:
        return this.#commands.query(r);
      case FrontendCode.Parse:
        return this.#parse(r);
      case FrontendCode.Bind:
        return this.#bind(r);
      case FrontendCode.Execute:
        return this.#commands.execute(r);
      case FrontendCode.Describe:
        return this.#describe(r);
      case FrontendCode.Close:
        return this.#close(r);
      case FrontendCode.Sync:
        expectEmpty(r, 'Sync');
        this.#pipeline.skipUntilSync = false;
        this.#forward(r, { kind: 'sync' });
        this.#pipeline.segment++;
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
      case FrontendCode.FunctionCall: // runs a function by OID: only libpq's large-object ones
        return this.#commands.functionCall(r);
      default:
        throw new GatehouseError(
          'protocol_violation',
          `invalid frontend message type ${type} ("${String.fromCharCode(type)}")`,
        );
    }
  }

  /** Called once the target batch was written. */
  flushed(): void {
    this.#commands.flushed();
  }

  #forward(r: FrameView, pending?: Pending): undefined {
    this.#ctx.toTarget.addRange(r.buf, r.start, r.end);
    if (pending) this.#ctx.relay.expect(pending);
    return undefined;
  }

  #parse(r: FrameView): Promise<void> | undefined {
    const { statement, sql, paramTypes } = readParse(r.body());
    const ctx = this.#ctx;
    const classification = ctx.classifier.classifyOffThread(sql, ctx.prepared);
    if (classification instanceof Promise) {
      // A big text is parsed in a worker thread; other sessions go on meanwhile.
      const frame = snapshot(r);
      return classification.then(() => this.#parse(frame));
    }
    const statementOp = ctx.statements.stage(
      statement,
      paramTypes.length > 0 ? { sql, classification, paramTypes } : { sql, classification },
      this.#pipeline.segment,
    );
    return this.#forward(r, { kind: 'parse', statementOp });
  }

  #describe(r: FrameView): undefined {
    const { kind, name } = readTargeted(r.body());
    const { portals, statements } = this.#ctx;
    const portal = kind === 'P' ? portals.peek(name, this.#pipeline.segment) : undefined;
    // A statement's description describes no rows; an unsettled portal is described again.
    this.#describes?.clientDescribed(kind === 'P' ? (portal ?? name) : undefined);
    // The described SQL, for masking by lineage (masking/lineage-mask.ts).
    const sql = (kind === 'P' ? portal?.statement : statements.peek(name, this.#pipeline.segment))
      ?.sql;
    return this.#forward(r, sql === undefined ? { kind: 'describe' } : { kind: 'describe', sql });
  }

  #bind(r: FrameView): Promise<void> | undefined {
    const bind = readBind(r.body());
    const lookup = this.#ctx.statements.lookup(bind.statement, this.#pipeline.segment);
    const stage = (statement: Statement | undefined) => {
      const portal: Portal = {
        statement,
        statementName: bind.statement,
        params: bind.params,
        paramFormats: bind.paramFormats,
        resultFormats: bind.resultFormats,
      };
      const portalOp = this.#ctx.portals.stage(bind.portal, portal, this.#pipeline.segment);
      this.#ctx.relay.expect({ kind: 'bind', portalOp });
    };
    if (lookup.ready) {
      this.#ctx.toTarget.addRange(r.buf, r.start, r.end);
      stage(lookup.value);
      return undefined;
    }
    const { buf, start, end } = r;
    return this.#waits
      .settled(() => this.#ctx.statements.lookup(bind.statement, this.#pipeline.segment))
      .then((statement) => {
        this.#ctx.toTarget.addRange(buf, start, end);
        stage(statement);
      });
  }

  #close(r: FrameView): undefined {
    const { kind, name } = readTargeted(r.body());
    const ctx = this.#ctx;
    if (kind === 'S') {
      const statementOp = ctx.statements.stage(name, undefined, this.#pipeline.segment);
      return this.#forward(r, { kind: 'close', statementOp });
    }
    const portalOp = ctx.portals.stage(name, undefined, this.#pipeline.segment);
    return this.#forward(r, { kind: 'close', portalOp });
  }
}
