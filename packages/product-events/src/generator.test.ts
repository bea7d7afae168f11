import { describe, expect, it } from 'vitest';
import { CATEGORY_PROFILES } from './catalog.js';
import { topicForEventType } from './constants.js';
import { ProductEventsOptionsError } from './errors.js';
import {
  DEFAULT_CURRENCY_MIX,
  DEFAULT_GENERATOR_OPTIONS,
  type GeneratedMessage,
  type GeneratorOptions,
  generateMarketplaceStream,
  MALFORMED_REASONS,
} from './generator.js';
import { parseProductEvent } from './parse.js';
import type { ProductData, ProductEvent } from './types.js';

const take = (options: GeneratorOptions): GeneratedMessage[] => [...generateMarketplaceStream(options)];

const fingerprint = (message: GeneratedMessage): string =>
  `${message.topic}|${message.key}|${JSON.stringify(message.headers)}|${message.value.toString('hex')}`;

const validEvents = (messages: GeneratedMessage[]): ProductEvent[] =>
  messages.flatMap((message) => (message.event === undefined ? [] : [message.event]));

const noisy: GeneratorOptions = {
  seed: 99,
  products: 150,
  sellers: 12,
  categories: 8,
  events: 6000,
  duplicateRate: 0.1,
  malformedRate: 0.05,
  reorder: { window: 32 },
};

describe('generateMarketplaceStream: determinism and laziness', () => {
  it('yields the same bytes for the same seed and options', () => {
    expect(take(noisy).map(fingerprint)).toEqual(take(noisy).map(fingerprint));
  });

  it('yields a different stream for another seed', () => {
    const a = take({ ...noisy, events: 50 }).map(fingerprint);
    const b = take({ ...noisy, events: 50, seed: 100 }).map(fingerprint);

    expect(a).not.toEqual(b);
  });

  it('restarts the same stream when iterated again', () => {
    const stream = generateMarketplaceStream({ ...noisy, events: 300 });

    expect([...stream].map(fingerprint)).toEqual([...stream].map(fingerprint));
  });

  it('yields exactly `events` messages', () => {
    expect(take({ ...noisy, events: 1234 })).toHaveLength(1234);
    expect(take({ events: 0 })).toEqual([]);
  });

  it('is lazy: an endless stream yields on demand', () => {
    const iterator = generateMarketplaceStream({ events: Number.POSITIVE_INFINITY, products: 5 })[
      Symbol.iterator
    ]();

    const first = Array.from({ length: 10 }, () => iterator.next());

    expect(first.every((result) => result.done === false && result.value.event !== undefined)).toBe(true);
  });

  it('produces the same valid events whatever the noise options (only their order changes)', () => {
    const plain = validEvents(
      take({ ...noisy, duplicateRate: 0, malformedRate: 0, reorder: false, events: 2000 }),
    );
    const withNoise = validEvents(take({ ...noisy, reorder: false }).filter((message) => !message.duplicate));

    expect(withNoise.slice(0, 1000)).toEqual(plain.slice(0, 1000));
  });
});

// Streams are generated inside each test, not when the file is collected: mutation testing runs
// each test with a mutant active and would not see a stream generated before it.
const validStream = (): GeneratedMessage[] =>
  take({ seed: 7, products: 200, sellers: 20, categories: 10, events: 20_000 });

describe('generateMarketplaceStream: valid events', () => {
  it('yields only valid messages by default, each on the topic of its type with the contract headers', () => {
    const messages = validStream();
    const problems = messages.filter((message) => {
      const result = parseProductEvent(message.value, { key: message.key, headers: message.headers });
      return (
        !result.ok ||
        JSON.stringify(result.event) !== JSON.stringify(message.event) ||
        message.topic !== topicForEventType(result.event.type) ||
        message.headers['content-type'] !== 'application/json'
      );
    });

    expect(problems).toEqual([]);
  });

  it('creates every product first', () => {
    const events = validEvents(validStream());
    expect(events.slice(0, 200).map((event) => [event.type, event.productId, event.version])).toEqual(
      Array.from({ length: 200 }, (_, index) => ['product.created', `p-${index + 1}`, 1]),
    );
  });

  it('increments each product version by exactly 1 per change', () => {
    const events = validEvents(validStream());
    const versions = new Map<string, number>();
    const jumps = events.filter((event) => {
      const expected = (versions.get(event.productId) ?? 0) + 1;
      versions.set(event.productId, event.version);
      return event.version !== expected;
    });

    expect(jumps).toEqual([]);
  });

  it('advances occurredAt from startTime by about meanIntervalMs per event', () => {
    const times = take({ events: 5000, startTime: '2026-03-01T00:00:00.000Z', meanIntervalMs: 200 }).map(
      (message) => Date.parse((message.event as ProductEvent).occurredAt),
    );
    const start = Date.parse('2026-03-01T00:00:00.000Z');

    expect(times.every((time, index) => time >= (times[index - 1] ?? start))).toBe(true);
    expect(((times.at(-1) as number) - start) / times.length).toBeGreaterThan(180);
    expect(((times.at(-1) as number) - start) / times.length).toBeLessThan(220);
  });

  it('deletes products, re-creates some with a higher version, and updates the rest', () => {
    const events = validEvents(validStream());
    const deletes = events.filter((event) => event.type === 'product.deleted');
    const recreates = events.filter((event) => event.type === 'product.created' && event.version > 1);

    expect(deletes.length / events.length).toBeGreaterThan(0.005);
    expect(deletes.length / events.length).toBeLessThan(0.04);
    expect(recreates.length).toBeGreaterThan(0);
    expect(deletes.some((event) => event.data.category === undefined)).toBe(true);
    expect(deletes.some((event) => event.data.category !== undefined)).toBe(true);
  });

  it('changes price, stock, status and name, and moves products between sellers and categories', () => {
    const events = validEvents(validStream());
    const previous = new Map<string, ProductData>();
    const changed = { priceCents: 0, quantity: 0, status: 0, name: 0, sellerId: 0, category: 0 };
    for (const event of events) {
      const before = previous.get(event.productId);
      if (event.type === 'product.updated' && before !== undefined) {
        for (const field of Object.keys(changed) as (keyof typeof changed)[]) {
          if (event.data[field] !== before[field]) changed[field]++;
        }
      }
      if (event.type !== 'product.deleted') previous.set(event.productId, event.data);
    }

    for (const count of Object.values(changed)) expect(count).toBeGreaterThan(10);
    expect(changed.quantity).toBeGreaterThan(changed.priceCents);
  });

  it('leaves about lowStockRate of stock levels below 10', () => {
    const events = validEvents(validStream());
    const stocked = events.flatMap((event) =>
      event.type === 'product.deleted' ? [] : [event.data.quantity],
    );
    const low = stocked.filter((quantity) => quantity < 10).length / stocked.length;

    // Price/status/name changes keep the previous stock, so the share lands near the rate.
    expect(low).toBeGreaterThan(0.05);
    expect(low).toBeLessThan(0.15);
    const lowStockHeavy = validEvents(take({ events: 2000, lowStockRate: 0.5 }));
    expect(lowStockHeavy.filter((event) => (event.data as ProductData).quantity < 10).length).toBeGreaterThan(
      600,
    );
  });

  it('draws products, sellers and categories Zipf-like with realistic category names', () => {
    const events = validEvents(validStream());
    const perProduct = new Map<string, number>();
    for (const event of events) perProduct.set(event.productId, (perProduct.get(event.productId) ?? 0) + 1);
    const counts = [...perProduct.values()].sort((a, b) => a - b);
    const median = counts[Math.floor(counts.length / 2)] as number;
    const categories = new Set(events.map((event) => event.data.category));

    expect(perProduct.get('p-1')).toBeGreaterThan(10 * median);
    expect(
      [...categories].every(
        (name) => CATEGORY_PROFILES.some((profile) => profile.name === name) || name === undefined,
      ),
    ).toBe(true);
    expect(categories.has('books')).toBe(true);
    expect(new Set(events.map((event) => event.data.sellerId)).size).toBe(20);
  });

  it('names categories beyond the known ones category-<n>', () => {
    const names = new Set(
      take({ categories: 40, products: 2000, events: 2000 }).map((m) => m.event?.data.category),
    );

    expect([...names].some((name) => /^category-\d+$/.test(String(name)))).toBe(true);
  });

  it('sends events to the configured topics', () => {
    const topics = { created: 'c', deleted: 'd' };
    const seen = new Set(take({ events: 3000, products: 20, deleteRate: 0.2, topics }).map((m) => m.topic));

    expect(seen).toEqual(new Set(['c', 'product.updated', 'd']));
  });

  it('emits moves as plain updates when there is one seller and one category', () => {
    const only = take({
      sellers: 1,
      categories: 1,
      products: 3,
      events: 200,
      moveRate: 0.98,
      deleteRate: 0.02,
    });

    expect(validEvents(only).every((event) => event.data.sellerId === 's-1')).toBe(true);
  });

  it('re-creates a product when every product is deleted', () => {
    const events = validEvents(
      take({ products: 3, events: 40, deleteRate: 1, moveRate: 0, recreateRate: 0 }),
    );

    expect(events.slice(3, 6).map((event) => event.type)).toEqual([
      'product.deleted',
      'product.deleted',
      'product.deleted',
    ]);
    expect(events[6]?.type).toBe('product.created');
  });
});

describe('generateMarketplaceStream: noise', () => {
  it('marks malformed messages with the code the parser returns for them', () => {
    const messages = take(noisy);
    const malformed = messages.filter((message) => message.malformed !== undefined);
    for (const message of malformed) {
      const result = parseProductEvent(message.value, { key: message.key, headers: message.headers });

      expect(result.ok ? 'ok' : result.error.code).toBe(message.malformed?.reason);
      expect(message.event).toBeUndefined();
    }
    expect(new Set(malformed.map((message) => message.malformed?.reason))).toEqual(
      new Set(MALFORMED_REASONS),
    );
  });

  it('keeps valid messages valid among the noise', () => {
    const messages = take(noisy);
    for (const message of messages.filter((m) => m.malformed === undefined)) {
      expect(parseProductEvent(message.value, { key: message.key, headers: message.headers })).toEqual({
        ok: true,
        event: message.event,
      });
    }
  });

  it('re-emits earlier messages byte for byte as duplicates', () => {
    const messages = take(noisy);
    const seen = new Set<string>();
    for (const message of messages) {
      if (message.duplicate === true) expect(seen.has(fingerprint(message))).toBe(true);
      else seen.add(fingerprint(message));
    }
  });

  it('injects duplicates and malformed messages in about the configured proportions', () => {
    const messages = take(noisy);
    const duplicates = messages.filter((message) => message.duplicate === true).length / messages.length;
    const malformed =
      messages.filter((message) => message.malformed !== undefined && message.duplicate !== true).length /
      messages.filter((message) => message.duplicate !== true).length;

    expect(duplicates).toBeGreaterThan(0.08);
    expect(duplicates).toBeLessThan(0.12);
    expect(malformed).toBeGreaterThan(0.035);
    expect(malformed).toBeLessThan(0.065);
  });

  it('reorders across topics while each product version increases within each topic', () => {
    const messages = take(noisy);
    const lastByTopic = new Map<string, number>();
    const lastOverall = new Map<string, number>();
    let crossTopicInversions = 0;
    for (const message of messages) {
      const event = message.event;
      if (event === undefined || message.duplicate === true) continue;
      const topicKey = `${message.topic}|${event.productId}`;
      expect(event.version).toBeGreaterThan(lastByTopic.get(topicKey) ?? 0);
      lastByTopic.set(topicKey, event.version);
      if (event.version < (lastOverall.get(event.productId) ?? 0)) crossTopicInversions++;
      lastOverall.set(event.productId, Math.max(event.version, lastOverall.get(event.productId) ?? 0));
    }

    expect(crossTopicInversions).toBeGreaterThan(0);
  });

  it('reorders with the default window for reorder: true', () => {
    const plain = take({ ...noisy, reorder: false, events: 500 }).map(fingerprint);
    const reordered = take({ ...noisy, reorder: true, events: 500 }).map(fingerprint);

    expect(reordered).not.toEqual(plain);
  });

  it('can make every message malformed, even before any product exists', () => {
    const all = take({ events: 300, malformedRate: 1 });

    expect(all.every((message) => message.malformed !== undefined)).toBe(true);
    expect(all.filter((m) => m.malformed?.reason === 'KEY_MISMATCH').every((m) => m.key === 'p-1-0')).toBe(
      true,
    );
  });
});

describe('generateMarketplaceStream: currencies', () => {
  const currencyOf = (events: ProductEvent[]) =>
    events.flatMap((event) => (event.type === 'product.deleted' ? [] : [event.data.currency]));

  it('prices most products in one currency and a few in others by default', () => {
    const counts = new Map<string, number>();
    for (const currency of currencyOf(validEvents(take({ events: 5000 })))) {
      counts.set(currency, (counts.get(currency) ?? 0) + 1);
    }

    expect(DEFAULT_CURRENCY_MIX).toEqual({ USD: 85, EUR: 8, JPY: 4, KWD: 3 });
    expect(Object.isFrozen(DEFAULT_CURRENCY_MIX)).toBe(true);
    expect([...counts.keys()].sort()).toEqual(['EUR', 'JPY', 'KWD', 'USD']);
    expect((counts.get('USD') ?? 0) / 5000).toBeGreaterThan(0.75);
  });

  it('re-prices some products in another currency, converting the price roughly', () => {
    const events = validEvents(take({ events: 20_000, products: 200, currencyChangeRate: 0.5 }));
    const last = new Map<string, ProductData>();
    const changes: Array<[ProductData, ProductData]> = [];
    for (const event of events) {
      if (event.type === 'product.deleted') {
        last.delete(event.productId);
        continue;
      }
      const before = last.get(event.productId);
      if (
        before !== undefined &&
        before.currency !== event.data.currency &&
        event.type === 'product.updated'
      ) {
        changes.push([before, event.data]);
      }
      last.set(event.productId, event.data);
    }

    expect(changes.length).toBeGreaterThan(10);
    const toJpy = changes.find(([before, after]) => before.currency === 'USD' && after.currency === 'JPY');
    expect(toJpy).toBeDefined();
    const [usd, jpy] = toJpy as [ProductData, ProductData];
    // A price change moves the price by at most ±30 %, the rate adds ×1.5.
    expect(jpy.priceCents).toBeGreaterThanOrEqual(Math.floor(usd.priceCents * 0.7 * 1.5));
    expect(jpy.priceCents).toBeLessThanOrEqual(Math.ceil(usd.priceCents * 1.3 * 1.5));
  });

  it('keeps a one-currency mix to that currency, and takes unknown well-formed codes', () => {
    expect(new Set(currencyOf(validEvents(take({ events: 2000, currencyMix: { XTS: 1 } }))))).toEqual(
      new Set(['XTS']),
    );
    const mixed = validEvents(take({ events: 3000, currencyMix: { XTS: 1, BHD: 1, JPY: 0 } }));
    expect(new Set(currencyOf(mixed))).toEqual(new Set(['BHD', 'XTS']));
  });
});

describe('generateMarketplaceStream: options', () => {
  it('exposes frozen defaults', () => {
    expect(Object.isFrozen(DEFAULT_GENERATOR_OPTIONS)).toBe(true);
    expect(DEFAULT_GENERATOR_OPTIONS.events).toBe(10_000);
  });

  it('treats undefined options as defaults', () => {
    const a = take({ events: 20, seed: undefined, topics: { created: undefined } }).map(fingerprint);

    expect(a).toEqual(take({ events: 20 }).map(fingerprint));
  });

  it.each<[string, GeneratorOptions, string]>([
    ['seed', { seed: 1.5 }, 'expected an integer, got 1.5'],
    ['sellers', { sellers: 0 }, 'expected a positive integer, got 0'],
    ['categories', { categories: -1 }, 'expected a positive integer, got -1'],
    ['products', { products: Number.NaN }, 'expected a positive integer, got null'],
    ['events', { events: -5 }, 'expected a non-negative integer or Infinity, got -5'],
    ['startTime', { startTime: 'soon' }, 'expected an ISO-8601 date-time, got "soon"'],
    ['startTime', { startTime: (() => 0) as never }, 'expected an ISO-8601 date-time, got () => 0'],
    ['meanIntervalMs', { meanIntervalMs: -1 }, 'expected a finite number >= 0, got -1'],
    ['deleteRate', { deleteRate: 1.5 }, 'expected a probability in [0, 1], got 1.5'],
    ['duplicateRate', { duplicateRate: '0.1' as never }, 'expected a probability in [0, 1], got "0.1"'],
    ['moveRate', { deleteRate: 0.6, moveRate: 0.6 }, 'deleteRate + moveRate must not exceed 1, got 0.6'],
    [
      'reorder',
      { reorder: { window: -1 } },
      'expected a boolean or { window: non-negative integer }, got {"window":-1}',
    ],
    [
      'reorder',
      { reorder: null as never },
      'expected a boolean or { window: non-negative integer }, got null',
    ],
    ['topics.deleted', { topics: { deleted: '' } }, 'expected a topic name, got ""'],
    ['currencyMix', { currencyMix: null as never }, 'expected an object of weights, got null'],
    [
      'currencyMix.usd',
      { currencyMix: { usd: 1 } },
      'expected an ISO 4217 code (three upper-case letters) as key, got "usd"',
    ],
    ['currencyMix.JPY', { currencyMix: { JPY: -1 } }, 'expected a finite weight >= 0, got -1'],
    [
      'currencyMix',
      { currencyMix: { USD: 0 } },
      'expected at least one currency with a weight > 0, got {"USD":0}',
    ],
    ['currencyChangeRate', { currencyChangeRate: 2 }, 'expected a probability in [0, 1], got 2'],
  ])('rejects an invalid %s at call time', (field, options, message) => {
    const act = () => generateMarketplaceStream(options);

    expect(act).toThrow(ProductEventsOptionsError);
    expect(act).toThrow(`Invalid option "${field}": ${message}`);
  });
});
