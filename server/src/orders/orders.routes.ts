import { Router } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import { objectIdOf } from '@ringside/shared';
import type { Models } from '../db/models';
import type { AuthService } from '../auth/auth.service';
import type { Clock } from '../clock';
import { requireAuth } from '../auth/auth.middleware';
import { allow, authorize, subjects } from '../auth/policy';
import { badRequest, notFound, parseOrThrow } from '../errors';
import { toObjectId } from '../db/ids';
import type { AuditService } from '../audit/audit.service';
import { viewerOf } from '../auth/viewer';
import type { CustomerService } from '../customers/customers.service';

const orderSchema = z.object({
  customerId: objectIdOf('a customer id'),
  number: z.string().trim().min(1).max(40).optional(),
  placedAt: z.iso.datetime({ offset: true, error: 'must be an ISO date-time' }).optional(),
  lines: z
    .array(
      z.object({
        sku: z.string().trim().min(1).max(40),
        quantity: z.number().int().min(1).max(10_000),
        unitPrice: z.number().min(0).optional(),
      }),
    )
    .min(1, { error: 'an order needs at least one line' })
    .max(200),
});

/** Something that wants to know when a customer ordered (the suggestions job). */
export interface OrderListener {
  orderPlaced(customerId: Types.ObjectId): Promise<void>;
}

/**
 * Orders from the shop or ERP (admins and integrations): prices default to the catalogue's,
 * and each order makes the customer's suggestions be recomputed.
 */
export function orderRoutes(deps: {
  models: Models;
  auth: AuthService;
  clock: Clock;
  audit: AuditService;
  customers: Pick<CustomerService, 'abilityFor'>;
  listener?: OrderListener;
}): Router {
  const { models, clock } = deps;
  const router = Router();
  router.use(requireAuth(deps.auth));

  /** A customer's orders, for those who may read that customer's orders (the portfolio rule). */
  router.get('/', async (req, res) => {
    const customerId = toObjectId(typeof req.query.customerId === 'string' ? req.query.customerId : '', 'customerId');
    const customer = await models.Customer.findById(customerId, { ownerId: 1 }).lean();
    if (!customer) throw notFound('customer');
    authorize(await deps.customers.abilityFor(viewerOf(req)), 'read', subjects.order(customer));
    const orders = await models.Order.find({ customerId }).sort({ placedAt: -1 }).limit(50).lean();
    res.json({
      orders: orders.map((o) => ({
        id: o._id.toString(),
        number: o.number,
        placedAt: o.placedAt.toISOString(),
        currency: o.currency,
        total: o.total,
        lines: o.lines,
      })),
    });
  });

  router.post('/', allow('create', 'Order'), async (req, res) => {
    const body = parseOrThrow(orderSchema, req.body, 'order');
    const customerId = new Types.ObjectId(body.customerId);
    const [customer, products] = await Promise.all([
      models.Customer.findById(customerId, { creditTerms: 1 }).lean(),
      models.Product.find({ sku: { $in: body.lines.map((l) => l.sku) } }).lean(),
    ]);
    if (!customer) throw notFound('customer');
    const lines = body.lines.map((l, i) => {
      const product = products.find((p) => p.sku === l.sku);
      if (!product) throw badRequest(`lines.${i}.sku: no product ${l.sku}`);
      return { sku: product.sku, name: product.name, quantity: l.quantity, unitPrice: l.unitPrice ?? product.price };
    });
    const placedAt = body.placedAt ? new Date(body.placedAt) : clock.now();
    const id = new Types.ObjectId();
    const order = await models.Order.create({
      _id: id,
      customerId,
      number:
        body.number ??
        `SO-${placedAt.toISOString().slice(0, 10).replace(/-/g, '')}-${id.toString().slice(-8).toUpperCase()}`,
      placedAt,
      currency: customer.creditTerms?.currency ?? 'EUR',
      lines,
      total: Math.round(lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0) * 100) / 100,
      status: 'placed',
    });
    const viewer = viewerOf(req);
    await deps.audit.record({
      userId: viewer.userId,
      userName: viewer.name,
      action: 'create',
      entity: 'order',
      entityId: order._id.toString(),
      details: { customerId: body.customerId },
    });
    await deps.listener?.orderPlaced(customerId);
    res.status(201).json({
      order: {
        id: order._id.toString(),
        number: order.number,
        placedAt: order.placedAt.toISOString(),
        total: order.total,
        currency: order.currency,
        lines,
      },
    });
  });
  return router;
}
