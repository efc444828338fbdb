// The answers of the HTTP API this console reads, validated on arrival: the server is a boundary
// too. The schemas live in `@ringside/shared` (the server's views satisfy the same types); these
// are the names the console has always used for them.

export {
  customerSummarySchema,
  customerSearchAnswerSchema as customerSearchSchema,
  customerAnswerSchema as customerCreatedSchema,
  duplicatesDetailSchema,
  timelineEntrySchema,
  timelineAnswerSchema as timelineSchema,
  noteCreatedSchema,
  caseViewSchema as caseSchema,
  caseListSchema as casesSchema,
  callbackViewSchema as callbackSchema,
  callbackListAnswerSchema as callbacksSchema,
  callbackAnswerSchema,
  callbackAcceptedSchema,
  outboundCallSchema,
  screenPopSchema as popAnswerSchema,
  agentRosterSchema as agentsSchema,
  queueStatsSchema,
} from '@ringside/shared';

export type {
  CustomerSummary,
  CustomerSearchAnswer,
  TimelineEntry,
  CaseView as CustomerCase,
  CallbackView as CallbackItem,
  RosterAgent,
} from '@ringside/shared';
