/** Price and size of an EC2 instance type the planner may pick. */
export interface InstancePrice {
  /** vCPUs; the planner only uses types with the bench machine's core count. */
  readonly vcpus: number;
  /** Memory in GiB. */
  readonly memoryGiB: number;
  /** On-demand Linux price, USD per hour. */
  readonly usdPerHour: number;
}

/** The one table of AWS prices the capacity planner applies. */
export interface AwsPrices {
  /** Region the prices are for. */
  readonly region: string;
  /** When the prices were read, and how far they can be trusted. */
  readonly readOn: string;
  /** Currency of every price. */
  readonly currency: 'USD';
  /** Pages the prices come from (to update them). */
  readonly sources: readonly string[];
  /** EC2 on-demand, by instance type. */
  readonly ec2: Readonly<Record<string, InstancePrice>>;
  /** DynamoDB on-demand (Standard table class). */
  readonly dynamodb: {
    readonly usdPerMillionWriteRequestUnits: number;
    readonly usdPerMillionReadRequestUnits: number;
    readonly usdPerGbMonth: number;
  };
  /** S3 Standard. */
  readonly s3: { readonly usdPerThousandPuts: number; readonly usdPerGbMonth: number };
  /** Amazon MSK (provisioned) broker storage. */
  readonly msk: { readonly usdPerGbMonth: number };
}

/**
 * AWS on-demand list prices for us-east-1, as published in January 2025 and not re-checked here
 * (the machines that generate the plan cannot browse). To update: edit the numbers and `readOn`,
 * then regenerate `docs/capacity.md` (`pnpm capacity:doc`). GB means 2^30 bytes, as AWS bills
 * storage. Free tiers, savings plans, reserved capacity, data transfer and taxes are left out.
 */
export const AWS_PRICES: AwsPrices = Object.freeze({
  region: 'us-east-1',
  readOn: 'as published in January 2025, not re-checked here',
  currency: 'USD',
  sources: Object.freeze([
    'https://aws.amazon.com/ec2/pricing/on-demand/',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    'https://aws.amazon.com/s3/pricing/',
    'https://aws.amazon.com/msk/pricing/',
  ]),
  ec2: Object.freeze({
    'c7i.large': Object.freeze({ vcpus: 2, memoryGiB: 4, usdPerHour: 0.08925 }),
    'm7i.large': Object.freeze({ vcpus: 2, memoryGiB: 8, usdPerHour: 0.1008 }),
    'r7i.large': Object.freeze({ vcpus: 2, memoryGiB: 16, usdPerHour: 0.1323 }),
  }),
  dynamodb: Object.freeze({
    usdPerMillionWriteRequestUnits: 0.625,
    usdPerMillionReadRequestUnits: 0.125,
    usdPerGbMonth: 0.25,
  }),
  s3: Object.freeze({ usdPerThousandPuts: 0.005, usdPerGbMonth: 0.023 }),
  msk: Object.freeze({ usdPerGbMonth: 0.1 }),
});
