import { describe, expect, it } from 'vitest';
import { CATEGORY_PROFILES, categoryProfile } from './catalog.js';

describe('categoryProfile', () => {
  it('returns the named profiles first', () => {
    expect(categoryProfile(0)).toBe(CATEGORY_PROFILES[0]);
    expect(categoryProfile(CATEGORY_PROFILES.length - 1).name).toBe('shoes');
  });

  it('numbers the categories beyond the named ones from 1 (category-21 after 20 names), with generic nouns and prices', () => {
    const profile = categoryProfile(CATEGORY_PROFILES.length);

    expect(CATEGORY_PROFILES).toHaveLength(20);
    expect(profile).toEqual({
      name: 'category-21',
      nouns: ['Item', 'Bundle', 'Kit', 'Set'],
      minPriceCents: 299,
      maxPriceCents: 19_999,
    });
    expect(categoryProfile(99).name).toBe('category-100');
    expect(Object.isFrozen(profile)).toBe(true);
  });
});
