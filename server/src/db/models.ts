import type { Connection, Model } from 'mongoose';
import { userSchema, type User } from './schemas/user.model';
import { customerSchema, type Customer } from './schemas/customer.model';
import { productSchema, type Product } from './schemas/product.model';
import { orderSchema, type Order } from './schemas/order.model';
import { invoiceSchema, type Invoice } from './schemas/invoice.model';
import { paymentSchema, type Payment } from './schemas/payment.model';
import { interactionSchema, type Interaction } from './schemas/interaction.model';
import { caseSchema, type Case } from './schemas/case.model';
import { callbackSchema, type Callback } from './schemas/callback.model';
import { dunningCaseSchema, type DunningCase } from './schemas/dunning-case.model';
import { auditSchema, type AuditEntry } from './schemas/audit.model';
import { settingsSchema, type Settings } from './schemas/settings.model';
import { customerSuggestionsSchema, type CustomerSuggestions } from './schemas/suggestion.model';
import { taskSchema, type Task } from './schemas/task.model';
import { queueDayStatsSchema, type QueueDayStats } from './schemas/queue-stats.model';
import { callSchema, callerChoiceSchema, type Call, type CallerChoice } from './schemas/call.model';
import { queueSchema, type Queue } from './schemas/queue.model';
import { sessionSchema, type Session } from './schemas/session.model';
import { loginAttemptsSchema, type LoginAttempts } from './schemas/login-attempts.model';
import { supervisorAlertSchema, type SupervisorAlert } from './schemas/supervisor-alert.model';
import { jobRunSchema, type JobRun } from './schemas/job-run.model';
import { callPathStatusSchema, type CallPathStatus } from './schemas/call-path-status.model';
import {
  popSummarySchema,
  popSummaryStateSchema,
  type PopSummary,
  type PopSummaryState,
} from './schemas/pop-summary.model';
import { dropDuplicateCallEntries } from './migrations';

/** Every model, registered on one connection (so tests can run apps on separate databases). */
export interface Models {
  User: Model<User>;
  Customer: Model<Customer>;
  Product: Model<Product>;
  Order: Model<Order>;
  Invoice: Model<Invoice>;
  Payment: Model<Payment>;
  Interaction: Model<Interaction>;
  Case: Model<Case>;
  Callback: Model<Callback>;
  DunningCase: Model<DunningCase>;
  Audit: Model<AuditEntry>;
  Settings: Model<Settings>;
  Call: Model<Call>;
  CallerChoice: Model<CallerChoice>;
  CustomerSuggestions: Model<CustomerSuggestions>;
  Task: Model<Task>;
  QueueDayStats: Model<QueueDayStats>;
  Queue: Model<Queue>;
  Session: Model<Session>;
  LoginAttempts: Model<LoginAttempts>;
  SupervisorAlert: Model<SupervisorAlert>;
  JobRun: Model<JobRun>;
  CallPathStatus: Model<CallPathStatus>;
  PopSummary: Model<PopSummary>;
  PopSummaryState: Model<PopSummaryState>;
}

export function registerModels(conn: Connection): Models {
  return {
    User: conn.model<User>('User', userSchema),
    Customer: conn.model<Customer>('Customer', customerSchema),
    Product: conn.model<Product>('Product', productSchema),
    Order: conn.model<Order>('Order', orderSchema),
    Invoice: conn.model<Invoice>('Invoice', invoiceSchema),
    Payment: conn.model<Payment>('Payment', paymentSchema),
    Interaction: conn.model<Interaction>('Interaction', interactionSchema),
    Case: conn.model<Case>('Case', caseSchema),
    Callback: conn.model<Callback>('Callback', callbackSchema),
    DunningCase: conn.model<DunningCase>('DunningCase', dunningCaseSchema),
    Audit: conn.model<AuditEntry>('Audit', auditSchema),
    Settings: conn.model<Settings>('Settings', settingsSchema),
    Call: conn.model<Call>('Call', callSchema),
    CallerChoice: conn.model<CallerChoice>('CallerChoice', callerChoiceSchema),
    CustomerSuggestions: conn.model<CustomerSuggestions>('CustomerSuggestions', customerSuggestionsSchema),
    Task: conn.model<Task>('Task', taskSchema),
    QueueDayStats: conn.model<QueueDayStats>('QueueDayStats', queueDayStatsSchema),
    Queue: conn.model<Queue>('Queue', queueSchema),
    Session: conn.model<Session>('Session', sessionSchema),
    LoginAttempts: conn.model<LoginAttempts>('LoginAttempts', loginAttemptsSchema),
    SupervisorAlert: conn.model<SupervisorAlert>('SupervisorAlert', supervisorAlertSchema),
    JobRun: conn.model<JobRun>('JobRun', jobRunSchema),
    CallPathStatus: conn.model<CallPathStatus>('CallPathStatus', callPathStatusSchema),
    PopSummary: conn.model<PopSummary>('PopSummary', popSummarySchema),
    PopSummaryState: conn.model<PopSummaryState>('PopSummaryState', popSummaryStateSchema),
  };
}

/** Create every index (before bulk loads: building over existing data is much slower). */
export async function ensureIndexes(models: Models): Promise<void> {
  // A database of an earlier version first loses what the new unique indexes forbid.
  await dropDuplicateCallEntries(models);
  await Promise.all(Object.values(models).map((m: Model<unknown>) => m.createIndexes()));
}
