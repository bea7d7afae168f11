/** Realistic category names with product nouns and a typical price range in cents. */
export interface CategoryProfile {
  readonly name: string;
  readonly nouns: readonly string[];
  readonly minPriceCents: number;
  readonly maxPriceCents: number;
}

const profile = (
  name: string,
  nouns: string[],
  minPriceCents: number,
  maxPriceCents: number,
): CategoryProfile => Object.freeze({ name, nouns: Object.freeze(nouns), minPriceCents, maxPriceCents });

/** Categories in popularity order (the generator draws them Zipf-like). */
export const CATEGORY_PROFILES: readonly CategoryProfile[] = Object.freeze([
  profile('books', ['Novel', 'Cookbook', 'Atlas', 'Biography', 'Anthology', 'Field Guide'], 499, 5999),
  profile('electronics', ['Headphones', 'Charger', 'Speaker', 'Tablet', 'Camera', 'Router'], 999, 149_999),
  profile('home-kitchen', ['Kettle', 'Lamp', 'Skillet', 'Blender', 'Rug', 'Knife Set'], 799, 39_999),
  profile('fashion', ['Jacket', 'Scarf', 'Dress', 'Hoodie', 'Belt', 'Sunglasses'], 999, 29_999),
  profile(
    'toys',
    ['Puzzle', 'Robot Kit', 'Kite', 'Plush Bear', 'Building Blocks', 'Board Game'],
    499,
    14_999,
  ),
  profile('sports', ['Yoga Mat', 'Dumbbell', 'Helmet', 'Football', 'Racket', 'Water Bottle'], 799, 49_999),
  profile('beauty', ['Serum', 'Lipstick', 'Shampoo', 'Perfume', 'Face Cream', 'Nail Polish'], 399, 19_999),
  profile(
    'grocery',
    ['Coffee Beans', 'Olive Oil', 'Green Tea', 'Pasta', 'Honey', 'Dark Chocolate'],
    199,
    4999,
  ),
  profile('garden', ['Planter', 'Hose', 'Seed Pack', 'Pruner', 'Bird Feeder', 'Lawn Chair'], 399, 59_999),
  profile(
    'automotive',
    ['Wiper Blades', 'Floor Mats', 'Jump Starter', 'Car Polish', 'Dash Cam'],
    999,
    29_999,
  ),
  profile('music', ['Guitar Strings', 'Vinyl Record', 'Ukulele', 'Drum Pad', 'Microphone'], 599, 99_999),
  profile(
    'pet-supplies',
    ['Leash', 'Cat Tree', 'Dog Bed', 'Aquarium', 'Chew Toy', 'Litter Box'],
    399,
    19_999,
  ),
  profile('office', ['Notebook', 'Desk Chair', 'Stapler', 'Monitor Arm', 'Pen Set', 'Planner'], 199, 49_999),
  profile('health', ['Vitamins', 'Thermometer', 'First Aid Kit', 'Heating Pad', 'Pill Organizer'], 399, 9999),
  profile('jewelry', ['Necklace', 'Ring', 'Bracelet', 'Earrings', 'Watch', 'Brooch'], 1999, 299_999),
  profile('baby', ['Stroller', 'Onesie', 'Teether', 'Baby Monitor', 'Crib Sheet', 'Bottle Set'], 499, 59_999),
  profile(
    'tools',
    ['Drill', 'Hammer', 'Screwdriver Set', 'Tape Measure', 'Level', 'Socket Set'],
    599,
    39_999,
  ),
  profile(
    'video-games',
    ['Controller', 'Game Card', 'Headset', 'Console Stand', 'Racing Wheel'],
    1999,
    59_999,
  ),
  profile('furniture', ['Bookshelf', 'Side Table', 'Sofa', 'Desk', 'Bed Frame', 'Wardrobe'], 4999, 299_999),
  profile('shoes', ['Sneakers', 'Boots', 'Sandals', 'Loafers', 'Running Shoes', 'Slippers'], 1999, 24_999),
]);

/** Adjectives for product names. */
export const ADJECTIVES: readonly string[] = Object.freeze([
  'Classic',
  'Compact',
  'Deluxe',
  'Eco',
  'Essential',
  'Premium',
  'Pro',
  'Vintage',
  'Wireless',
  'Handmade',
  'Smart',
  'Travel',
  'Ultra',
  'Everyday',
  'Organic',
  'Nordic',
]);

/**
 * The profile of category `index`: the named ones first, then `category-<n>` with generic
 * nouns when more categories are asked for than there are names.
 */
export function categoryProfile(index: number): CategoryProfile {
  return (
    CATEGORY_PROFILES[index] ??
    profile(`category-${index + 1}`, ['Item', 'Bundle', 'Kit', 'Set'], 299, 19_999)
  );
}
