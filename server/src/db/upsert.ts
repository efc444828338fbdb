// Every upsert of ours goes through here, for two facts about concurrent identical upserts:
// - the embedded database (SecantusDB) can answer `null` to a `findOneAndUpdate` with `upsert`
//   (scripts/db-facts/upsert-race.ts: up to half of the rounds at 8 writers; the update was applied
//   every time and a second look by the same filter always found the one document);
// - any MongoDB may refuse one of them with a duplicate key on a unique index: the document exists
//   then, and the same update applied again updates it.
// So an upsert here always answers its document (or says it wrote), however many run at once.
import { Types, type Model, type ProjectionType, type QueryFilter, type UpdateQuery } from 'mongoose';
import { isDuplicateKey } from '../errors';

const ATTEMPTS = 3;

export interface Upserted<T> {
  doc: T;
  /** This call inserted the document (false: it was there, or another writer inserted it meanwhile). */
  created: boolean;
}

/**
 * `findOneAndUpdate(filter, update, {upsert: true, returnDocument: 'after'})` that never answers
 * nothing: a `null` from the database is followed by a read by `filter`. When `filter` names no
 * `_id`, the insert gets one chosen here, so `created` is exact even when the answer was `null` (the
 * document's `_id` is ours only if this call inserted it); with an `_id` in the filter, a `null`
 * answer counts as "someone else inserted it".
 */
export async function upsertOne<T>(
  model: Model<T>,
  filter: QueryFilter<T>,
  update: UpdateQuery<T>,
  options: { projection?: ProjectionType<T>; runValidators?: boolean } = {},
): Promise<Upserted<T>> {
  const insertId = '_id' in filter ? undefined : new Types.ObjectId();
  const write: UpdateQuery<T> = insertId
    ? { ...update, $setOnInsert: { ...(update.$setOnInsert ?? {}), _id: insertId } }
    : update;
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await model.findOneAndUpdate(filter, write, {
        ...options,
        upsert: true,
        returnDocument: 'after',
        includeResultMetadata: true,
        lean: true,
      });
      const found = (answer.value as T | null) ?? (await reread(model, filter, insertId, options.projection));
      if (found) {
        const id = (found as { _id?: unknown })._id;
        const created = insertId
          ? insertId.equals(id as Types.ObjectId)
          : answer.value !== null && answer.lastErrorObject?.updatedExisting === false;
        return { doc: found, created };
      }
      if (attempt >= ATTEMPTS) throw new Error(`upsert into ${model.modelName} answered nothing, and nothing matches`);
    } catch (err) {
      if (!isDuplicateKey(err) || attempt >= ATTEMPTS) throw err;
      // Another writer inserted it a moment ago: applying the update again updates that document.
    }
  }
}

/** The document a `null` answer left: by the filter, or by the `_id` we gave it (the update may have moved it out of the filter). */
async function reread<T>(
  model: Model<T>,
  filter: QueryFilter<T>,
  insertId: Types.ObjectId | undefined,
  projection: ProjectionType<T> | undefined,
): Promise<T | null> {
  const byFilter = await model.findOne(filter, projection).lean<T>();
  if (byFilter || !insertId) return byFilter as T | null;
  return (await model.findById(insertId, projection).lean<T>()) as T | null;
}

/**
 * An upsert that answers counts, not a document (`updateOne`, `bulkWrite` with upserts, on a model or a
 * driver collection), written by `write`: a duplicate key from a concurrent insert is followed by the same
 * write again (which then updates). `write` must be safe to repeat. `created`: this write inserted.
 */
export async function upsertWrite(write: () => PromiseLike<{ upsertedCount: number }>): Promise<{ created: boolean }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await write();
      return { created: result.upsertedCount > 0 };
    } catch (err) {
      if (!isDuplicateKey(err) || attempt >= ATTEMPTS) throw err;
    }
  }
}
