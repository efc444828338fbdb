import { z } from 'zod';
import type { Models } from '../db/models';
import type { Queue } from '../db/schemas/queue.model';
import { upsertOne, upsertWrite } from '../db/upsert';
import { badRequest, parseOrThrow } from '../errors';
import { normalizePhone, type CountryCode } from '@ringside/shared';

/** A queue as the rest of the server sees it: the stored queue, named. */
export type QueueDefinition = Omit<Queue, '_id' | 'updatedAt'> & { name: string };

/** The queues a new installation starts with; admins change them with `PUT /api/queues/:name`. */
export const DEFAULT_QUEUES: QueueDefinition[] = [
  {
    name: 'support',
    skill: 'support',
    slaSeconds: 20,
    callbackAfterSec: 60,
    announceEverySec: 30,
    numbers: [],
    isDefault: true,
    order: 1,
  },
  {
    name: 'collections',
    skill: 'collections',
    slaSeconds: 30,
    callbackAfterSec: 60,
    announceEverySec: 30,
    numbers: [],
    isDefault: false,
    order: 2,
  },
  {
    name: 'sales',
    skill: 'sales',
    slaSeconds: 20,
    callbackAfterSec: 90,
    announceEverySec: 30,
    numbers: [],
    isDefault: false,
    order: 3,
  },
];

export const queueInputSchema = z
  .object({
    skill: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .regex(/^[a-z0-9_-]+$/, { error: 'lower-case letters, digits, - and _' }),
    slaSeconds: z.number().int().min(1).max(3600),
    callbackAfterSec: z.number().int().min(0).max(3600).default(60),
    announceEverySec: z.number().int().min(2).max(600).default(30),
    numbers: z.array(z.string().min(3).max(30)).max(50).default([]),
    isDefault: z.boolean().default(false),
    order: z.number().int().min(0).max(1000).default(100),
  })
  .strict();

const queueNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9_-]+$/, { error: 'queue names are lower-case letters, digits, - and _' });

const toDefinition = (q: Queue): QueueDefinition => ({
  name: q._id,
  skill: q.skill,
  slaSeconds: q.slaSeconds,
  callbackAfterSec: q.callbackAfterSec,
  announceEverySec: q.announceEverySec,
  numbers: q.numbers,
  isDefault: q.isDefault,
  order: q.order,
});

/**
 * The queues, read from the database and kept for a few seconds (calls look them up on the hot
 * path). A change made through this process is seen at once; one made by another process
 * within `cacheMs`. An empty collection is given the default queues.
 */
export class QueueDirectory {
  private cached: { at: number; queues: QueueDefinition[] } | undefined;
  private loading: Promise<QueueDefinition[]> | undefined;

  constructor(
    private readonly models: Models,
    private readonly options: { cacheMs?: number; defaultCountry?: string } = {},
  ) {}

  async all(): Promise<QueueDefinition[]> {
    if (this.cached && performance.now() - this.cached.at < (this.options.cacheMs ?? 5000)) return this.cached.queues;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<QueueDefinition[]> {
    let docs = await this.models.Queue.find({}).sort({ order: 1, _id: 1 }).lean();
    if (docs.length === 0) {
      // First start: the defaults, once, whichever process gets here first.
      await upsertWrite(() =>
        this.models.Queue.bulkWrite(
          DEFAULT_QUEUES.map((q) => ({
            updateOne: {
              filter: { _id: q.name },
              update: {
                $setOnInsert: {
                  skill: q.skill,
                  slaSeconds: q.slaSeconds,
                  callbackAfterSec: q.callbackAfterSec,
                  announceEverySec: q.announceEverySec,
                  numbers: q.numbers,
                  isDefault: q.isDefault,
                  order: q.order,
                },
              },
              upsert: true,
            },
          })),
        ),
      );
      docs = await this.models.Queue.find({}).sort({ order: 1, _id: 1 }).lean();
    }
    const queues = docs.map(toDefinition);
    this.cached = { at: performance.now(), queues };
    return queues;
  }

  /** A queue by name; a name nobody configured gets a queue of its own skill with default figures. */
  async get(name: string): Promise<QueueDefinition> {
    return (
      (await this.all()).find((q) => q.name === name) ?? {
        name,
        skill: name,
        slaSeconds: 20,
        callbackAfterSec: 0,
        announceEverySec: 30,
        numbers: [],
        isDefault: false,
        order: 100,
      }
    );
  }

  /**
   * Where an inbound call waits: a caller with an open dunning case goes to collections; else
   * the queue of the dialed number; else the default queue.
   */
  async forCall(call: { to: string; hasDunningCase: boolean }): Promise<QueueDefinition> {
    const queues = await this.all();
    if (call.hasDunningCase) {
      const collections = queues.find((q) => q.name === 'collections');
      if (collections) return collections;
    }
    const dialed = normalizePhone(call.to, (this.options.defaultCountry ?? 'PL') as CountryCode)?.e164;
    const byNumber = dialed ? queues.find((q) => q.numbers.includes(dialed)) : undefined;
    return byNumber ?? queues.find((q) => q.isDefault) ?? queues[0] ?? (await this.get('support'));
  }

  /** Creates or changes a queue (admin). Numbers are stored in E.164; one default queue at most. */
  async put(name: string, input: unknown): Promise<QueueDefinition> {
    const queueName = parseOrThrow(queueNameSchema, name, 'queue name');
    const body = parseOrThrow(queueInputSchema, input, 'queue');
    const numbers = body.numbers.map((n) => {
      const e164 = normalizePhone(n, (this.options.defaultCountry ?? 'PL') as CountryCode)?.e164;
      if (!e164) throw badRequest(`queue number "${n}" is not a phone number`);
      return e164;
    });
    await this.all(); // the defaults exist before the first change
    if (body.isDefault) await this.models.Queue.updateMany({ _id: { $ne: queueName } }, { $set: { isDefault: false } });
    const { doc: saved } = await upsertOne(
      this.models.Queue,
      { _id: queueName },
      { $set: { ...body, numbers } },
      { runValidators: true },
    );
    this.cached = undefined;
    return toDefinition(saved);
  }
}
