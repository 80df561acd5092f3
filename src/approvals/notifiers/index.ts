export {
  type DispatcherOptions,
  type DispatcherStats,
  NotificationDispatcher,
} from './dispatcher.js';
export { toTicketEvent } from './from-ticket.js';
export { webhookBody } from './notifier-target.js';
export {
  type NotificationOutboxTable,
  type OutboxRow,
  type OutboxStatus,
  type OutboxTables,
  SqlNotificationOutbox,
} from './outbox.js';
export { escapeMrkdwn, slackMessage } from './slack-format.js';
export { parseWebhookSecret, signWebhook, webhookHeaders } from './standard-webhooks.js';
export { ADAPTIVE_CARD_CONTENT_TYPE, teamsMessage } from './teams-format.js';
export type {
  NotifierConfig,
  TicketEvent,
  TicketEventDecision,
  TicketEventTicket,
  TicketEventType,
} from './types.js';
