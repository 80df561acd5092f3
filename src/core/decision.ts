import type { Action, ConnectorConfig, ReviewConfig } from '../config/schema.js';
import type { Command } from './command.js';
import type { Identity } from './identity.js';

/** What policy says about one command, and which rule said it. */
export interface Decision {
  action: Action;
  /** Rule that produced the decision; absent when the connector default applied. */
  rule?: string;
  /** Why, in words a client can be shown. */
  reason: string;
  /** Review settings when action is `review`. */
  review?: ReviewConfig;
}

export interface DecisionContext {
  connector: ConnectorConfig;
  identity: Identity;
  command: Command;
  /** Evaluation time (epoch ms), for time-window conditions. */
  now: number;
}

/** Turns a classified command into a decision. Pure; no I/O. */
export interface PolicyDecider {
  decide(context: DecisionContext): Decision;
}
