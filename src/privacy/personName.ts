import { normaliseNameToken, personNameSets } from './personNamesData';

/**
 * Words that end a run of names because the run names a place or a business, not a person: "Moses Mabhida
 * Stadium", "Natasha Alley Market", "Nelson Mandela Bay", "Smith and Sons". A judgement call (docs/anonymise.md):
 * something named after a person is published data, a person is not. Also street types, so a street address is
 * left to the street_address detector and the name rule does not double-report it.
 */
const PLACE_WORDS = new Set(
	(
		'street st road rd avenue ave drive dr lane ln crescent cres close way boulevard blvd place pl circle court ct terrace highway hwy ' +
		'alley bridge brook camp canyon cape causeway center centre cliff cliffs club common corner course cove creek crest crossing curve ' +
		'dale dam divide estate estates expressway extension fall falls ferry field fields flat flats ford forest fork fort freeway garden ' +
		'gardens gateway glen green grove harbor harbour haven heights hill hills hollow inlet island junction key knoll lake landing light ' +
		'lodge loop mall manor meadow meadows mews mill mission motorway mount mountain neck orchard oval park parkway pass path pike pine ' +
		'plain plains plaza point port ports prairie ranch rapids rest ridge river route row run shoal shore shores spring springs square ' +
		'station stream summit track trace trail tunnel turnpike union valley via viaduct view village ville vista walk wall well wells ' +
		'straat weg laan rylaan singel plein steeg ' +
		'stadium market lounge roasters coffee shisanyama museum theatre theater gallery hall precinct waterfront beach bay farm wine ' +
		'cableway hotel inn restaurant cafe bar pub tavern shop store stores pharmacy clinic hospital school college university academy ' +
		'church chapel mosque temple library airport mine town city township suburb north south east west central ' +
		'gauteng kwazulu-natal kwazulu natal mpumalanga limpopo state province provincial western eastern northern ' +
		'car wash salon spa gym repairs hardware print couriers travel tours catering hub ' +
		'box po bag posbus postnet suite unit apt apartment woonstel private privaatsak erf stand ' +
		'and & sons son brothers bros group holdings trading inc ltd pty llc co company cc enterprises services solutions foundation trust ' +
		'fund bank insurance motors auto logistics consulting partners associates attorneys foods food fresh express'
	).split(/\s+/),
);

/** Particles inside surnames ("Janse van Rensburg", "du Plessis", "de la Rey"): part of the run, never a name alone. */
const PARTICLES = new Set(['van', 'der', 'den', 'de', 'du', 'le', 'la', 'von', 'da', 'dos', 'das', 'ter', 'ten', 'janse', 'mac', 'mc', 'bin', 'ibn', 'al']);

/**
 * Common words that are in the name lists too ("Long", "King", "Grace", "Price", "Wood"). A run made only of these
 * reads as words, not a person ("Long Street" is an address, "Grace Park" a suburb): at least one token of a
 * name run must be a name that is not a word. Lower case.
 */
const COMMON_WORDS = new Set(
	(
		'long king grace price wood rose may june april august will bill mark hope joy faith love star sky rain snow summer winter dawn ' +
		'black white green brown gray grey red gold silver golden young old little big great good best new first last high low major ' +
		'north south east west little baker cook smith miller taylor carpenter mason potter fisher hunter shepherd butler porter page ' +
		'bishop king queen prince princess duke earl lord lady sir knight bell hall wall hill dale field ford lane street wells brooks ' +
		'rivers stone rock cliff marsh moss bush bird fox wolf lamb crane swan drake hawk finch sparrow robin wren lark ' +
		'pick pay mr mrs ms dr checkers steers clicks pep spar sasol engen telkom vodacom mtn uber eats food city ' +
		'wallet cheque savings credit debit card cash transfer airtime data groceries fuel transport entertainment pharmacy clothing ' +
		'utilities restaurants shopping nightlife outdoors museum sport family landmark coffee gps network wifi android ios web ' +
		'active inactive pending completed failed unknown other none null true false yes no male female ' +
		'premium basic standard gold platinum free trial monthly annual daily weekly ' +
		'cape town durban soweto pretoria johannesburg table mountain constitution union buildings aerial boulders naval big hole ' +
		'theatre shopping gateway botanic marine world sandton menlyn waterfront precinct apartheid ' +
		'monday tuesday wednesday thursday friday saturday sunday january february march july september october november december ' +
		'jazz lawn night day fest festival heritage comedy gospel picnic social craft beer makers kasi amapiano braai live music ' +
		'happy hour special deal sale promo welcome hello thanks thank you please order payment refund dispute duplicate delivery'
	).split(/\s+/),
);

/** "Ways", "Roads": faker and real street names use plural street types too. */
const isPlaceWord = (norm: string) => PLACE_WORDS.has(norm) || (norm.endsWith('s') && PLACE_WORDS.has(norm.slice(0, -1)));

/** Shops named with a title (MERCHANTS in the demo: Mr Price, Mr D Food). */
const HONORIFIC_BRANDS = new Set(['price', 'food', 'delivery', 'bean', 'muscle', 'clean', 'plumber']);

const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'prof', 'mnr', 'mev', 'mej', 'me', 'adv', 'rev', 'pastor']);

interface Token {
	raw: string;
	norm: string;
	/** Punctuation between this token and the previous one. */
	gap: string;
}

const TOKEN = /[\p{L}][\p{L}'’.-]*/gu;

function tokens(text: string): Token[] {
	const out: Token[] = [];
	let end = 0;
	TOKEN.lastIndex = 0;
	for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
		const raw = m[0].replace(/[.'’-]+$/, '');
		out.push({ raw, norm: normaliseNameToken(raw), gap: text.slice(end, m.index) });
		end = m.index + m[0].length;
	}
	return out;
}

/**
 * Does `value` contain a person's name: two or more adjacent name tokens ("Thabo Mokoena", "MOKOENA, Thabo",
 * "Janse van Rensburg"), not followed by a place word, not a known place, and not made only of common words. A known
 * name followed by an unknown capitalised word counts too ("Sipho Mkhwanazi": no list holds every surname, and a
 * given name right before a capitalised word is the strongest signal there is). "thabo.mokoena" is left to the
 * e-mail rule; a lone given name is not a finding (too many are words or brands).
 */
export function hasPersonName(value: string): boolean {
	const { names, places } = personNameSets();
	const trimmed = value.trim();
	if (trimmed.length < 5 || !/\p{L}{2}/u.test(trimmed)) return false;
	if (places.has(trimmed.toLowerCase().replace(/[’']/g, "'"))) return false;
	const letters = trimmed.replace(/[^\p{L}]/gu, '');
	const allLower = letters === letters.toLowerCase();
	const allUpper = letters === letters.toUpperCase();
	const known = (t: Token) =>
		names.has(t.norm) || names.has(t.norm.replace(/'s$/, '')) || (t.norm.includes('-') && t.norm.split('-').every((p) => names.has(p)));
	// Written like a name: capitalised, or any case when the whole value is in one case ("THABO MOKOENA", "thabo mokoena").
	const cased = (t: Token) => allLower || allUpper || /^\p{Lu}/u.test(t.raw);
	// An unlisted word may be a surname only when its case says so: capitalised in mixed-case text, or all caps.
	const ts = tokens(trimmed);
	// A short all-lower value ("nina ochse") has no case to read, but two or three words alone are a name's shape.
	const shortValue = ts.length <= 3;
	const maybeSurname = (t: Token) =>
		t.raw.length >= 3 && !COMMON_WORDS.has(t.norm) && (allLower ? shortValue : allUpper || /^\p{Lu}\p{Ll}/u.test(t.raw) || /^\p{Lu}{3,}$/u.test(t.raw));

	for (let i = 0; i < ts.length; i++) {
		const t0 = ts[i];
		if (HONORIFICS.has(t0.norm) && ts[i + 1] && /^[\s.]*$/.test(ts[i + 1].gap)) {
			// "Mr Govender", "Dr Nkosi": a title before a capitalised word of three letters or more ("Mr D Food" and
			// "Mr Price" are shops; a title before a place word is a place, "Dr Pixley ka Isaka Seme Street").
			const t1 = ts[i + 1];
			const after = ts[i + 2];
			// "Mr T Mokoena", "Dr S. Nkosi": a title, an initial, then a surname.
			if (
				/^\p{Lu}$/u.test(t1.raw) &&
				after &&
				/^[\s.]*$/.test(after.gap) &&
				/^\p{Lu}/u.test(after.raw) &&
				after.norm.length >= 3 &&
				!isPlaceWord(after.norm) &&
				!HONORIFIC_BRANDS.has(after.norm) &&
				!COMMON_WORDS.has(after.norm)
			)
				return true;
			if (
				/^\p{Lu}/u.test(t1.raw) &&
				t1.norm.length >= 3 &&
				!HONORIFIC_BRANDS.has(t1.norm) &&
				!isPlaceWord(t1.norm) &&
				!(after && /^\s*$/.test(after.gap) && isPlaceWord(after.norm))
			)
				return true;
		}
		const run: Token[] = [];
		let j = i;
		for (; j < ts.length; j++) {
			const t = ts[j];
			if (run.length && !/^\s*,?\s*$/.test(t.gap)) break;
			if (isPlaceWord(t.norm) || HONORIFICS.has(t.norm)) break;
			if (run.length && PARTICLES.has(t.norm)) {
				run.push(t);
				continue;
			}
			if (!cased(t)) break;
			if (known(t) || (run.length && maybeSurname(t))) run.push(t);
			else if (!run.length && j === 0 && ts.length <= 3 && maybeSurname(t) && ts[j + 1] && /^\s*,\s*$/.test(ts[j + 1].gap))
				run.push(t); // the whole value is "Mkhwanazi, Sipho"
			else break;
		}
		if (run.length >= 2 && isPersonRun(run, ts[j], known, places)) return true;
	}
	return false;
}

function isPersonRun(run: Token[], next: Token | undefined, known: (t: Token) => boolean, places: Set<string>): boolean {
	// "Moses Mabhida Stadium", "Nelson Mandela Bay": named after a person, so a place.
	if (next && /^\s*$/.test(next.gap) && isPlaceWord(next.norm)) return false;
	while (run.length && PARTICLES.has(run[run.length - 1].norm)) run = run.slice(0, -1);
	const core = run.filter((t) => !PARTICLES.has(t.norm));
	if (core.length < 2) return false;
	if (places.has(run.map((t) => t.norm).join(' '))) return false;
	// At most one unlisted word, and the run must hold a name that is not also a common word ("Grace Park").
	if (core.filter((t) => !known(t)).length > 1) return false;
	return core.some((t) => known(t) && !COMMON_WORDS.has(t.norm));
}
