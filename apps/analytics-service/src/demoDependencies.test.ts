import { describe, expect, it } from 'vitest';
import { checkDemoDependencies, DEMO_DEPENDENCIES, requireDemoDependency } from './demoDependencies.js';
import { MissingDemoDependencyError } from './errors.js';

describe('demo dependencies', () => {
  it('finds the demo packages in a development install', () => {
    expect(() => checkDemoDependencies()).not.toThrow();
    expect(DEMO_DEPENDENCIES).toEqual(['@marketplace/local-stack', 'pino-pretty']);
  });

  it('names every missing package and says how to run the demo or production instead', () => {
    let error: unknown;
    try {
      checkDemoDependencies(['@marketplace/not-installed', 'pino-pretty', 'also-not-installed-pkg']);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(MissingDemoDependencyError);
    expect((error as MissingDemoDependencyError).code).toBe('MISSING_DEMO_DEPENDENCY');
    expect((error as MissingDemoDependencyError).missing).toEqual([
      '@marketplace/not-installed',
      'also-not-installed-pkg',
    ]);
    expect((error as Error).message).toContain('set KAFKA_BROKERS');
  });

  it('passes on resolution errors other than a missing module', () => {
    const broken = (): string => {
      throw Object.assign(new Error('bad package.json'), { code: 'ERR_INVALID_PACKAGE_CONFIG' });
    };

    expect(() => checkDemoDependencies(['x'], broken)).toThrow('bad package.json');
  });

  it('loads a CommonJS demo dependency as require returns it', () => {
    const pretty = requireDemoDependency<(options: object) => NodeJS.WritableStream>('pino-pretty');

    expect(typeof pretty).toBe('function');
    expect(() => requireDemoDependency('@marketplace/not-installed')).toThrow(MissingDemoDependencyError);
  });
});
