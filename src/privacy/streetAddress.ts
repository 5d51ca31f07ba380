/**
 * South African street and postal addresses in the forms people write them (design doc §6.1 lists the residential
 * address as a direct identifier). Each rule needs something a place name alone does not have — a house number, a
 * unit, a box number or a postal code — so "Vilakazi Street" (a landmark), "Soweto" or "Cape Town" pass and
 * "12 Vilakazi Street, Orlando West" does not. Matching is case-insensitive: "12 VILAKAZI ST" is an address too.
 */
const STREET_TYPES =
	'street|str|st|road|rd|avenue|ave|av|drive|dr|lane|ln|crescent|cres|cr|close|cl|way|boulevard|blvd|place|pl|circle|court|ct|terrace|tce|' +
	'highway|hwy|parade|square|sq|grove|gardens|mews|walk|row|loop|link|view|rise|ridge|extension|ext|' +
	'straat|str|weg|laan|rylaan|singel|plein|steeg|hoogte|rand';
const WORD = "[\\p{L}][\\p{L}'’.-]*";

/** "12 Vilakazi Street", "23 Long St", "7A Jan Smuts Ave", "1204 Church Street Extension", "15 van der Merwe straat". */
const HOUSE_NUMBER_STREET = new RegExp(`(?<![\\p{L}\\d])\\d{1,5}[A-Za-z]?,?\\s+(?:${WORD}\\s+){1,4}(?:${STREET_TYPES})(?![\\p{L}\\d])`, 'iu');
/** "Vilakazi Street, Orlando West": a street followed by a suburb after a comma (any case). */
const STREET_THEN_SUBURB = new RegExp(`(?<![\\p{L}\\d])${WORD}\\s+(?:${STREET_TYPES})\\.?\\s*,\\s*\\p{L}{3,}`, 'iu');
/** "PO Box 123", "P.O. Box 4521", "Posbus 12", "Private Bag X9001", "PostNet Suite 144". */
const BOX = /(?<![\p{L}\d])(?:p\.?\s?o\.?\s*box|post\s*office\s*box|posbus|private\s+bag|privaatsak|postnet\s+suite|box)\s*(?:x\s*)?\d{1,6}(?!\d)/iu;
/** "Unit 4, Sunset Villas", "Flat 12 Greenacres", "Apt 3B", "Woonstel 5", "Suite 201, 14 Long St". */
const UNIT = /(?<![\p{L}\d])(?:unit|flat|apartment|apt|woonstel|eenheid|stand|erf)\.?\s*(?:no\.?\s*)?\d{1,5}[A-Za-z]?(?:\s*,\s*|\s+)(?:\d{1,5}\s+)?\p{Lu}/u;
/** "Orlando West, 1804", "Soweto 1804" at the end, "Cape Town, Western Cape, 8001": place words then a 4-digit postal code. */
const PLACE_POSTCODE_COMMA = /\p{Lu}[\p{L}'’ -]+,\s*\d{4}\s*$/u;
const PLACE_POSTCODE = /(?<![\p{L}\d])\p{Lu}[\p{L}'’-]+(?:\s+\p{Lu}[\p{L}'’-]+)*,?\s+(?!19\d\d|20\d\d)\d{4}\s*$/u;

export function hasStreetAddress(value: string): boolean {
	if (!/\d/.test(value) && !value.includes(',')) return false;
	return (
		HOUSE_NUMBER_STREET.test(value) ||
		STREET_THEN_SUBURB.test(value) ||
		BOX.test(value) ||
		UNIT.test(value) ||
		PLACE_POSTCODE_COMMA.test(value) ||
		(PLACE_POSTCODE.test(value) && /\s/.test(value.trim()))
	);
}
