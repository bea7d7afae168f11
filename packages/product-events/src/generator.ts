import { mergeOptions } from '@marketplace/options';
import { ADJECTIVES, type CategoryProfile, categoryProfile } from './catalog.js';
import {
  DEFAULT_TOPICS,
  HEADERS,
  PRODUCT_EVENT_TYPES,
  type ProductTopics,
  topicForEventType,
} from './constants.js';
import { encodeUnchecked } from './encode.js';
import { ProductEventsOptionsError } from './errors.js';
import type { ParseErrorCode } from './parseErrors.js';
import { deriveSeed, Random } from './Random.js';
import type {
  ProductData,
  ProductDeletedData,
  ProductEvent,
  ProductEventType,
  ProductStatus,
} from './types.js';

/** Options of {@link generateMarketplaceStream}. All optional; see {@link DEFAULT_GENERATOR_OPTIONS}. */
export interface GeneratorOptions {
  /** Seed of the stream: the same options give the same bytes. @default 1 */
  seed?: number;
  /** Number of sellers (`s-1` … `s-N`), drawn Zipf-like (a few big sellers). @default 50 */
  sellers?: number;
  /**
   * Number of categories, drawn Zipf-like. The first 20 have real names (`books`,
   * `electronics`, …), further ones are `category-<n>`. @default 12
   */
  categories?: number;
  /** Number of products (`p-1` … `p-N`); updates pick them Zipf-like (hot products). @default 1000 */
  products?: number;
  /** Number of messages to yield, duplicates and malformed ones included; may be `Infinity`. @default 10000 */
  events?: number;
  /** `occurredAt` of the first event (ISO-8601). @default '2026-01-01T00:00:00.000Z' */
  startTime?: string;
  /** Mean of the exponentially distributed time between events, in ms. @default 1000 */
  meanIntervalMs?: number;
  /** Probability that a change of a live product deletes it. @default 0.02 */
  deleteRate?: number;
  /**
   * Probability that picking a deleted product re-creates it (a `product.created` with a
   * higher version); otherwise a live product is changed instead. @default 0.3
   */
  recreateRate?: number;
  /** Probability that a change of a live product moves it to another seller or category. @default 0.03 */
  moveRate?: number;
  /**
   * Probability that a yielded message re-emits one of the last 1024 emitted messages
   * (same topic, key, headers and bytes; marked `duplicate: true`). @default 0
   */
  duplicateRate?: number;
  /**
   * Cross-topic reordering: messages wait in one FIFO per topic and are released from a
   * randomly chosen topic while `window` messages are held, so the topics drift apart while
   * each topic keeps its own order (per-product versions stay increasing within a topic).
   * `true` means a window of {@link DEFAULT_REORDER_WINDOW}. @default false
   */
  reorder?: boolean | { window: number };
  /**
   * Probability that a fresh message is malformed (invalid JSON or UTF-8, schema violation,
   * wrong/missing key, unknown type, unsupported version, header mismatch, not an object, too
   * deep), see {@link MALFORMED_REASONS}. @default 0
   */
  malformedRate?: number;
  /** Probability that a create or a stock change leaves quantity below 10 (low stock). @default 0.1 */
  lowStockRate?: number;
  /**
   * Currency mix: relative weight of each ISO 4217 code (three upper-case letters; unknown but
   * well-formed codes such as `XTS` are fine) a product is priced in. A product draws its
   * currency when created or re-created, and a price change re-prices it in another currency
   * with probability `currencyChangeRate`. Prices are drawn in US cents and converted with a
   * rough rate into the currency's minor units (e.g. ×1.5 for JPY, ×3 for KWD; ×1 for codes the
   * generator does not know). A mix of one currency draws nothing extra.
   * @default { USD: 85, EUR: 8, JPY: 4, KWD: 3 } ({@link DEFAULT_CURRENCY_MIX})
   */
  currencyMix?: Readonly<Record<string, number>>;
  /** Probability that a price change also moves the product to another currency of the mix. @default 0.05 */
  currencyChangeRate?: number;
  /** Topic overrides; missing entries fall back to {@link DEFAULT_TOPICS}. */
  topics?: Partial<ProductTopics>;
}

/** One Kafka record of a generated stream. */
export interface GeneratedMessage {
  /** Topic of the event type (for malformed messages: of the type they pretend to be). */
  topic: string;
  /** Record key (the productId, except for key-related malformations). */
  key: string;
  /** Record value bytes. */
  value: Buffer;
  /** Record headers as a producer sets them. */
  headers: Record<string, string>;
  /** The event, for valid messages; `undefined` when malformed. */
  event?: ProductEvent;
  /** Set when the message is invalid: `reason` is the code `parseProductEvent` returns for it. */
  malformed?: { reason: ParseErrorCode };
  /** `true` when this message re-emits an earlier one (same object fields, same bytes). */
  duplicate?: boolean;
}

/**
 * Default currency mix: mostly US dollars, plus euros, yen (no minor digits) and Kuwaiti dinars
 * (three minor digits), so that demos and benchmarks show money kept per currency.
 */
export const DEFAULT_CURRENCY_MIX: Readonly<Record<string, number>> = Object.freeze({
  USD: 85,
  EUR: 8,
  JPY: 4,
  KWD: 3,
});

/** Rough minor units of a currency per US cent, to keep generated prices plausible. */
const MINOR_UNITS_PER_US_CENT: Readonly<Record<string, number>> = Object.freeze({
  USD: 1,
  EUR: 0.92,
  GBP: 0.79,
  CHF: 0.88,
  JPY: 1.5,
  KWD: 3.1,
  BHD: 3.8,
});

/** Reorder window used for `reorder: true`. */
export const DEFAULT_REORDER_WINDOW = 64;

/** Defaults of {@link GeneratorOptions}. */
export const DEFAULT_GENERATOR_OPTIONS: Readonly<{
  seed: 1;
  sellers: 50;
  categories: 12;
  products: 1000;
  events: 10_000;
  startTime: '2026-01-01T00:00:00.000Z';
  meanIntervalMs: 1000;
  deleteRate: 0.02;
  recreateRate: 0.3;
  moveRate: 0.03;
  duplicateRate: 0;
  reorder: false;
  malformedRate: 0;
  lowStockRate: 0.1;
  currencyMix: Readonly<Record<string, number>>;
  currencyChangeRate: 0.05;
}> = Object.freeze({
  seed: 1,
  sellers: 50,
  categories: 12,
  products: 1000,
  events: 10_000,
  startTime: '2026-01-01T00:00:00.000Z',
  meanIntervalMs: 1000,
  deleteRate: 0.02,
  recreateRate: 0.3,
  moveRate: 0.03,
  duplicateRate: 0,
  reorder: false,
  malformedRate: 0,
  lowStockRate: 0.1,
  currencyMix: DEFAULT_CURRENCY_MIX,
  currencyChangeRate: 0.05,
});

/**
 * Reasons the generator injects with `malformedRate` (each the `ParseErrorCode` that
 * `parseProductEvent` returns with the message's key and headers and the default limits).
 * `PAYLOAD_TOO_LARGE` is left out to keep streams small.
 */
export const MALFORMED_REASONS: readonly ParseErrorCode[] = Object.freeze([
  'INVALID_JSON',
  'INVALID_UTF8',
  'TOO_DEEP',
  'NOT_AN_OBJECT',
  'UNKNOWN_TYPE',
  'UNSUPPORTED_SCHEMA_VERSION',
  'SCHEMA_VIOLATION',
  'MISSING_KEY',
  'KEY_MISMATCH',
  'HEADER_MISMATCH',
] as const);

/** Size of the ring of recent messages that duplicates are drawn from. */
const DUPLICATE_MEMORY = 1024;

interface StreamConfig {
  seed: number;
  sellers: number;
  categories: number;
  products: number;
  events: number;
  startMs: number;
  meanIntervalMs: number;
  deleteRate: number;
  recreateRate: number;
  moveRate: number;
  duplicateRate: number;
  reorderWindow: number;
  malformedRate: number;
  lowStockRate: number;
  /** Currency codes of the mix and their cumulative weights (same order), total last. */
  currencies: readonly string[];
  currencyCumulative: readonly number[];
  currencyChangeRate: number;
  topics: ProductTopics;
}

/**
 * A seeded, deterministic stream of realistic marketplace product events as Kafka records,
 * for tests, benchmarks and demos. Lazy: it holds the product catalogue (one small record per
 * product), the reorder window and the last 1024 messages, never the stream, so `events:
 * 1_000_000` (or `Infinity`) is fine. Iterating the result again restarts the same stream.
 *
 * The first `products` events create the products; then products are picked Zipf-like and
 * changed: price, stock (dips below 10 with `lowStockRate`), status, name; moved to another
 * seller or category (`moveRate`); deleted (`deleteRate`) and later re-created
 * (`recreateRate`). Each change increments the product's `version` by 1. Every message goes
 * to the topic of its event type. The valid events do not depend on `duplicateRate`,
 * `malformedRate` or `reorder` (separate random streams), only their emission order does.
 *
 * Expected state: apply the valid messages' `event`s in emission order with the version rule
 * (a version not greater than the stored one is ignored).
 *
 * @param options - see {@link GeneratorOptions}
 * @returns an iterable of {@link GeneratedMessage}
 * @throws {ProductEventsOptionsError} `INVALID_OPTIONS` when an option is out of range (the message
 *   names the field)
 * @example
 * for (const message of generateMarketplaceStream({ seed: 42, events: 1000, duplicateRate: 0.05 })) {
 *   await producer.send({ topic: message.topic, messages: [message] });
 * }
 */
export function generateMarketplaceStream(options: GeneratorOptions = {}): Iterable<GeneratedMessage> {
  const config = resolveOptions(options);
  return { [Symbol.iterator]: () => emit(config) };
}

function resolveOptions(options: GeneratorOptions): StreamConfig {
  const merged = mergeOptions(DEFAULT_GENERATOR_OPTIONS, options);
  requireThat('seed', Number.isSafeInteger(merged.seed), 'expected an integer', merged.seed);
  for (const field of ['sellers', 'categories', 'products'] as const) {
    requireThat(
      field,
      Number.isSafeInteger(merged[field]) && merged[field] >= 1,
      'expected a positive integer',
      merged[field],
    );
  }
  const events = merged.events;
  requireThat(
    'events',
    (Number.isSafeInteger(events) && events >= 0) || events === Number.POSITIVE_INFINITY,
    'expected a non-negative integer or Infinity',
    events,
  );
  const startMs = typeof merged.startTime === 'string' ? Date.parse(merged.startTime) : Number.NaN;
  requireThat('startTime', !Number.isNaN(startMs), 'expected an ISO-8601 date-time', merged.startTime);
  requireThat(
    'meanIntervalMs',
    Number.isFinite(merged.meanIntervalMs) && merged.meanIntervalMs >= 0,
    'expected a finite number >= 0',
    merged.meanIntervalMs,
  );
  for (const field of [
    'deleteRate',
    'recreateRate',
    'moveRate',
    'duplicateRate',
    'malformedRate',
    'lowStockRate',
    'currencyChangeRate',
  ] as const) {
    const rate = merged[field];
    requireThat(
      field,
      typeof rate === 'number' && rate >= 0 && rate <= 1,
      'expected a probability in [0, 1]',
      rate,
    );
  }
  requireThat(
    'moveRate',
    merged.deleteRate + merged.moveRate <= 1,
    'deleteRate + moveRate must not exceed 1',
    merged.moveRate,
  );
  const reorder = merged.reorder;
  const reorderWindow = reorder === true ? DEFAULT_REORDER_WINDOW : reorder === false ? 0 : reorder?.window;
  requireThat(
    'reorder',
    Number.isSafeInteger(reorderWindow) && (reorderWindow as number) >= 0,
    'expected a boolean or { window: non-negative integer }',
    reorder,
  );
  const mix = merged.currencyMix;
  requireThat('currencyMix', mix !== null && typeof mix === 'object', 'expected an object of weights', mix);
  const currencies: string[] = [];
  const currencyCumulative: number[] = [];
  let totalWeight = 0;
  for (const [code, weight] of Object.entries(mix)) {
    requireThat(
      `currencyMix.${code}`,
      /^[A-Z]{3}$/.test(code),
      'expected an ISO 4217 code (three upper-case letters) as key',
      code,
    );
    requireThat(
      `currencyMix.${code}`,
      typeof weight === 'number' && Number.isFinite(weight) && weight >= 0,
      'expected a finite weight >= 0',
      weight,
    );
    if (weight === 0) continue;
    totalWeight += weight;
    currencies.push(code);
    currencyCumulative.push(totalWeight);
  }
  requireThat('currencyMix', totalWeight > 0, 'expected at least one currency with a weight > 0', mix);
  const topics = mergeOptions(DEFAULT_TOPICS, merged.topics);
  for (const [name, topic] of Object.entries(topics)) {
    requireThat(
      `topics.${name}`,
      typeof topic === 'string' && topic.length > 0,
      'expected a topic name',
      topic,
    );
  }
  return {
    seed: merged.seed,
    sellers: merged.sellers,
    categories: merged.categories,
    products: merged.products,
    events,
    startMs,
    meanIntervalMs: merged.meanIntervalMs,
    deleteRate: merged.deleteRate,
    recreateRate: merged.recreateRate,
    moveRate: merged.moveRate,
    duplicateRate: merged.duplicateRate,
    reorderWindow: reorderWindow as number,
    malformedRate: merged.malformedRate,
    lowStockRate: merged.lowStockRate,
    currencies,
    currencyCumulative,
    currencyChangeRate: merged.currencyChangeRate,
    topics,
  };
}

function requireThat(field: string, condition: boolean, expected: string, actual: unknown): void {
  if (!condition)
    throw new ProductEventsOptionsError(
      field,
      `${expected}, got ${JSON.stringify(actual) ?? String(actual)}`,
    );
}

/** Output stage: the (reordered) fresh messages, with duplicates mixed in. */
function* emit(config: StreamConfig): Generator<GeneratedMessage, void, undefined> {
  const fresh = freshMessages(config);
  const source =
    config.reorderWindow > 0
      ? reorderAcrossTopics(fresh, config.reorderWindow, new Random(deriveSeed(config.seed, 2)))
      : fresh;
  const duplicates = new Random(deriveSeed(config.seed, 3));
  const recent: GeneratedMessage[] = [];
  let recentNext = 0;
  for (let emitted = 0; emitted < config.events; emitted++) {
    if (recent.length > 0 && duplicates.chance(config.duplicateRate)) {
      yield { ...duplicates.pick(recent), duplicate: true };
      continue;
    }
    const message = source.next().value;
    recent[recentNext] = message;
    recentNext = (recentNext + 1) % DUPLICATE_MEMORY;
    yield message;
  }
}

/**
 * Holds `window` messages in one FIFO per topic and releases the head of a randomly chosen
 * non-empty topic: topics overtake each other, each topic keeps its order.
 */
function* reorderAcrossTopics(
  source: Iterator<GeneratedMessage, never>,
  window: number,
  random: Random,
): Generator<GeneratedMessage, never, undefined> {
  const queues = new Map<string, GeneratedMessage[]>();
  const nonEmpty: GeneratedMessage[][] = [];
  let held = 0;
  for (;;) {
    while (held < window) {
      const message = source.next().value;
      let queue = queues.get(message.topic);
      if (queue === undefined) {
        queue = [];
        queues.set(message.topic, queue);
      }
      queue.push(message);
      held++;
    }
    nonEmpty.length = 0;
    for (const queue of queues.values()) if (queue.length > 0) nonEmpty.push(queue);
    held--;
    yield random.pick(nonEmpty).shift() as GeneratedMessage;
  }
}

/** Valid events of the simulation, with malformed messages mixed in. */
function* freshMessages(config: StreamConfig): Generator<GeneratedMessage, never, undefined> {
  const market = new MarketSimulation(config, new Random(deriveSeed(config.seed, 0)));
  const noise = new Random(deriveSeed(config.seed, 1));
  for (;;) {
    if (noise.chance(config.malformedRate)) {
      yield malformedMessage(market, noise, config.topics);
    } else {
      const event = market.next();
      yield { topic: topicForEventType(event.type, config.topics), ...encodeUnchecked(event), event };
    }
  }
}

/** Catalogue state of one simulated product. */
interface SimulatedProduct {
  readonly id: string;
  version: number;
  seller: number;
  category: number;
  name: string;
  /** Price in minor units of `currency`. */
  priceCents: number;
  currency: string;
  quantity: number;
  status: ProductStatus;
  deleted: boolean;
  /** Position in the live list, or -1 when deleted. */
  livePosition: number;
}

/** The marketplace catalogue that the valid events describe. */
class MarketSimulation {
  private readonly products: SimulatedProduct[] = [];
  private readonly live: SimulatedProduct[] = [];
  private readonly sellerIds: string[];
  private readonly categoryProfiles: CategoryProfile[];
  private timeMs: number;

  constructor(
    private readonly config: StreamConfig,
    private readonly random: Random,
  ) {
    this.sellerIds = Array.from({ length: config.sellers }, (_, index) => `s-${index + 1}`);
    this.categoryProfiles = Array.from({ length: config.categories }, (_, index) => categoryProfile(index));
    this.timeMs = config.startMs;
  }

  /** Current simulated time. */
  now(): string {
    return new Date(this.timeMs).toISOString();
  }

  /** Any product created so far (for malformed messages), without changing the simulation. */
  sample(random: Random): SimulatedProduct | undefined {
    return this.products.length === 0 ? undefined : random.pick(this.products);
  }

  /** The next valid event; advances the simulated clock. */
  next(): ProductEvent {
    const { random, config } = this;
    this.timeMs += Math.round(random.exponential(config.meanIntervalMs));
    if (this.products.length < config.products) return this.create();
    let product = this.products[random.zipf(config.products)] as SimulatedProduct;
    if (product.deleted) {
      if (this.live.length === 0 || random.chance(config.recreateRate)) return this.recreate(product);
      product = random.pick(this.live);
    }
    const roll = random.next();
    if (roll < config.deleteRate) return this.delete(product);
    if (roll < config.deleteRate + config.moveRate) return this.move(product);
    return this.update(product);
  }

  private create(): ProductEvent {
    const { random, config } = this;
    const category = random.zipf(config.categories);
    const currency = this.drawCurrency();
    const product: SimulatedProduct = {
      id: `p-${this.products.length + 1}`,
      version: 1,
      seller: random.zipf(config.sellers),
      category,
      name: this.productName(category),
      priceCents: this.listPrice(category, currency),
      currency,
      quantity: this.stockLevel(),
      status: random.chance(0.9) ? 'active' : 'inactive',
      deleted: false,
      livePosition: -1,
    };
    this.products.push(product);
    this.addLive(product);
    return this.event('product.created', product, this.data(product));
  }

  private recreate(product: SimulatedProduct): ProductEvent {
    product.version++;
    product.deleted = false;
    product.currency = this.drawCurrency();
    product.priceCents = this.listPrice(product.category, product.currency);
    product.quantity = this.stockLevel();
    product.status = 'active';
    this.addLive(product);
    return this.event('product.created', product, this.data(product));
  }

  private update(product: SimulatedProduct): ProductEvent {
    const { random } = this;
    const roll = random.next();
    if (roll < 0.3) {
      const factor = 0.7 + 0.6 * random.next();
      const before = product.currency;
      if (this.config.currencies.length > 1 && random.chance(this.config.currencyChangeRate)) {
        product.currency = this.drawCurrency();
      }
      const rate = minorUnitsPerUsCent(product.currency) / minorUnitsPerUsCent(before);
      product.priceCents = Math.max(1, Math.round(product.priceCents * factor * rate));
    } else if (roll < 0.85) {
      product.quantity = this.stockLevel();
    } else if (roll < 0.95) {
      product.status = product.status === 'active' ? 'inactive' : 'active';
    } else {
      product.name = this.productName(product.category);
    }
    product.version++;
    return this.event('product.updated', product, this.data(product));
  }

  private move(product: SimulatedProduct): ProductEvent {
    const { random, config } = this;
    if (random.chance(0.5)) product.category = otherIndex(random, product.category, config.categories);
    else product.seller = otherIndex(random, product.seller, config.sellers);
    product.version++;
    return this.event('product.updated', product, this.data(product));
  }

  private delete(product: SimulatedProduct): ProductEvent {
    product.version++;
    product.deleted = true;
    this.removeLive(product);
    const data: ProductDeletedData = { sellerId: this.sellerIds[product.seller] as string };
    // Producers may omit the category of a delete; the aggregator must cope.
    if (this.random.chance(0.9))
      data.category = (this.categoryProfiles[product.category] as CategoryProfile).name;
    return this.event('product.deleted', product, data);
  }

  private event(
    type: ProductEventType,
    product: SimulatedProduct,
    data: ProductData | ProductDeletedData,
  ): ProductEvent {
    return {
      eventId: uuid(this.random),
      type,
      schemaVersion: 1,
      occurredAt: this.now(),
      productId: product.id,
      version: product.version,
      data,
    } as ProductEvent;
  }

  /** Full data of a product (a fresh object: events never share state). */
  data(product: SimulatedProduct): ProductData {
    return {
      sellerId: this.sellerIds[product.seller] as string,
      category: (this.categoryProfiles[product.category] as CategoryProfile).name,
      name: product.name,
      priceCents: product.priceCents,
      currency: product.currency,
      quantity: product.quantity,
      status: product.status,
    };
  }

  private productName(category: number): string {
    const profile = this.categoryProfiles[category] as CategoryProfile;
    return `${this.random.pick(ADJECTIVES)} ${this.random.pick(profile.nouns)}`;
  }

  /**
   * Log-uniform price within the category's range (in US cents), ending in 99 cents, converted
   * into minor units of `currency`.
   */
  private listPrice(category: number, currency: string): number {
    const { minPriceCents, maxPriceCents } = this.categoryProfiles[category] as CategoryProfile;
    const raw = Math.exp(
      Math.log(minPriceCents) + this.random.next() * Math.log(maxPriceCents / minPriceCents),
    );
    const usCents = Math.max(99, Math.round(raw / 100) * 100 - 1);
    return currency === 'USD' ? usCents : Math.max(1, Math.round(usCents * minorUnitsPerUsCent(currency)));
  }

  /** A currency of the mix by weight; no draw for a mix of one currency. */
  private drawCurrency(): string {
    const { currencies, currencyCumulative } = this.config;
    if (currencies.length === 1) return currencies[0] as string;
    const target = this.random.next() * (currencyCumulative[currencyCumulative.length - 1] as number);
    const index = currencyCumulative.findIndex((cumulative) => target < cumulative);
    return currencies[index] as string;
  }

  private stockLevel(): number {
    return this.random.chance(this.config.lowStockRate)
      ? this.random.between(0, 9)
      : this.random.between(10, 500);
  }

  private addLive(product: SimulatedProduct): void {
    product.livePosition = this.live.length;
    this.live.push(product);
  }

  private removeLive(product: SimulatedProduct): void {
    const last = this.live.pop() as SimulatedProduct;
    if (last !== product) {
      this.live[product.livePosition] = last;
      last.livePosition = product.livePosition;
    }
    product.livePosition = -1;
  }
}

function minorUnitsPerUsCent(currency: string): number {
  return MINOR_UNITS_PER_US_CENT[currency] ?? 1;
}

/** A different index in [0, n) when there is one (uniform), else `current`. */
function otherIndex(random: Random, current: number, n: number): number {
  if (n === 1) return current;
  const index = random.int(n - 1);
  return index >= current ? index + 1 : index;
}

const hex = (value: number, width: number): string => value.toString(16).padStart(width, '0');

/** A version-4-shaped UUID from the seeded stream. */
function uuid(random: Random): string {
  const a = random.nextUint32();
  const b = random.nextUint32();
  const c = random.nextUint32();
  const d = random.nextUint32();
  return `${hex(a, 8)}-${hex(b >>> 16, 4)}-${hex(0x4000 | (b & 0x0fff), 4)}-${hex(0x8000 | ((c >>> 16) & 0x3fff), 4)}-${hex(c & 0xffff, 4)}${hex(d, 8)}`;
}

/** A message that `parseProductEvent` rejects with `reason`, about some existing product. */
function malformedMessage(market: MarketSimulation, random: Random, topics: ProductTopics): GeneratedMessage {
  const reason = random.pick(MALFORMED_REASONS);
  const product = market.sample(random);
  const base: Record<string, unknown> = {
    eventId: uuid(random),
    type: 'product.updated',
    schemaVersion: 1,
    occurredAt: market.now(),
    productId: product?.id ?? 'p-1',
    version: (product?.version ?? 0) + 1,
    data: product === undefined ? placeholderData() : market.data(product),
  };
  const record = encodeUnchecked(base as unknown as ProductEvent);
  const message: GeneratedMessage = {
    topic: topicForEventType('product.updated', topics),
    ...record,
    malformed: { reason },
  };
  const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
  switch (reason) {
    case 'INVALID_JSON':
      message.value = record.value.subarray(0, random.int(record.value.length));
      break;
    case 'INVALID_UTF8': {
      const at = record.value.indexOf('"name":"') + 8;
      const bad = random.pick([[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]);
      message.value = Buffer.concat([
        record.value.subarray(0, at),
        Buffer.from(bad),
        record.value.subarray(at),
      ]);
      break;
    }
    case 'TOO_DEEP': {
      let nested: unknown = {};
      for (let level = 0; level < 64; level++) nested = [nested];
      message.value = json({ ...base, attributes: nested });
      break;
    }
    case 'NOT_AN_OBJECT':
      message.value = Buffer.from(
        random.pick(['[]', 'null', '42', '"product.updated"', '[{"type":"product.updated"}]']),
      );
      break;
    case 'UNKNOWN_TYPE':
      message.value = json({ ...base, type: 'product.archived' });
      message.headers[HEADERS.eventType] = 'product.archived';
      break;
    case 'UNSUPPORTED_SCHEMA_VERSION':
      message.value = json({ ...base, schemaVersion: 2 });
      message.headers[HEADERS.schemaVersion] = '2';
      break;
    case 'SCHEMA_VIOLATION':
      message.value = json(random.pick(SCHEMA_VIOLATIONS)(base, random));
      break;
    case 'MISSING_KEY':
      message.key = '';
      break;
    case 'KEY_MISMATCH':
      message.key = `${message.key}-0`;
      break;
    default: // HEADER_MISMATCH
      message.headers[HEADERS.eventType] = random.pick(
        PRODUCT_EVENT_TYPES.filter((type) => type !== 'product.updated'),
      );
      break;
  }
  return message;
}

function placeholderData(): ProductData {
  return {
    sellerId: 's-1',
    category: 'books',
    name: 'Classic Novel',
    priceCents: 1299,
    currency: 'USD',
    quantity: 12,
    status: 'active',
  };
}

type Violation = (base: Record<string, unknown>, random: Random) => Record<string, unknown>;

const withData = (
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> => ({
  ...base,
  data: { ...(base['data'] as object), ...patch },
});

/** Ways producers get the schema wrong. */
const SCHEMA_VIOLATIONS: readonly Violation[] = [
  (base, random) => withData(base, { priceCents: -random.between(1, 10_000) }),
  (base) => withData(base, { priceCents: 19.99 }),
  (base) => withData(base, { quantity: String((base['data'] as ProductData).quantity) }),
  (base) => withData(base, { sellerId: undefined }),
  (base) => withData(base, { status: 'archived' }),
  (base) => withData(base, { currency: 'usd' }),
  (base) => withData(base, { currency: 'EURO' }),
  (base) => ({ ...base, occurredAt: Date.parse(base['occurredAt'] as string) }),
  (base) => ({ ...base, version: 0 }),
  (base) => ({ ...base, productId: '' }),
  (base) => ({ ...base, data: undefined }),
];
