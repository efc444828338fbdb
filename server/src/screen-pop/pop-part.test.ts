import { describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import type { ChangeStreamDocument, Document } from 'mongodb';
import { balanceAt } from './pop-part';
import { customersOf } from './summaries';

const DAY = 86_400_000;

describe('balanceAt', () => {
  const now = new Date('2030-05-10T12:00:00Z');
  const at = (days: number) => new Date(now.getTime() + days * DAY);

  it('counts what is due before now as overdue, from the oldest due date', () => {
    const dues = [
      { dueAt: at(-3.5), open: 100.1 },
      { dueAt: at(5), open: 50 },
      { dueAt: at(-10), open: 0.2 },
    ];
    expect(balanceAt('PLN', 150.3, dues, now)).toEqual({
      currency: 'PLN',
      outstanding: 150.3,
      overdue: 100.3,
      oldestOverdueDays: 10,
    });
  });

  it('moves with the moment: the same dues a week later are all overdue', () => {
    const dues = [{ dueAt: at(5), open: 50 }];
    expect(balanceAt('EUR', 50, dues, now)).toMatchObject({ overdue: 0, oldestOverdueDays: 0 });
    expect(balanceAt('EUR', 50, dues, at(7))).toMatchObject({ overdue: 50, oldestOverdueDays: 2 });
  });
});

describe('customersOf', () => {
  const customerId = new Types.ObjectId();
  const change = (coll: string, extra: Record<string, unknown>) =>
    ({
      _id: { _data: 'x' },
      operationType: 'insert',
      ns: { db: 'd', coll },
      documentKey: { _id: new Types.ObjectId() },
      ...extra,
    }) as unknown as ChangeStreamDocument<Document>;

  it('finds the customer of a document that carries one, or whose id is the customer', () => {
    expect(customersOf(change('orders', { fullDocument: { customerId } }))).toEqual([customerId]);
    expect(customersOf(change('customers', { documentKey: { _id: customerId } }))).toEqual([customerId]);
    expect(customersOf(change('customersuggestions', { documentKey: { _id: customerId } }))).toEqual([customerId]);
  });

  it('finds none for a deleted document (no pre-image) or an interaction without a customer', () => {
    expect(customersOf(change('orders', { operationType: 'delete' }))).toEqual([]);
    expect(customersOf(change('interactions', { fullDocument: { summary: 'x' } }))).toEqual([]);
  });
});
