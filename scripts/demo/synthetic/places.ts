/** South African cities with their centre coordinates; synthetic GPS points scatter around these. */
export interface City {
	name: string;
	province: string;
	lat: number;
	lng: number;
	/** Relative population weight, so Johannesburg gets more users than Kimberley. */
	weight: number;
}

export const SA_CITIES: City[] = [
	{ name: 'Johannesburg', province: 'Gauteng', lat: -26.2041, lng: 28.0473, weight: 10 },
	{ name: 'Soweto', province: 'Gauteng', lat: -26.2485, lng: 27.854, weight: 5 },
	{ name: 'Pretoria', province: 'Gauteng', lat: -25.7479, lng: 28.2293, weight: 6 },
	{ name: 'Cape Town', province: 'Western Cape', lat: -33.9249, lng: 18.4241, weight: 8 },
	{ name: 'Stellenbosch', province: 'Western Cape', lat: -33.9321, lng: 18.8602, weight: 1 },
	{ name: 'Durban', province: 'KwaZulu-Natal', lat: -29.8587, lng: 31.0218, weight: 6 },
	{ name: 'Pietermaritzburg', province: 'KwaZulu-Natal', lat: -29.6006, lng: 30.3794, weight: 2 },
	{ name: 'Gqeberha', province: 'Eastern Cape', lat: -33.9608, lng: 25.6022, weight: 3 },
	{ name: 'East London', province: 'Eastern Cape', lat: -33.0153, lng: 27.9116, weight: 2 },
	{ name: 'Bloemfontein', province: 'Free State', lat: -29.0852, lng: 26.1596, weight: 2 },
	{ name: 'Polokwane', province: 'Limpopo', lat: -23.9045, lng: 29.4689, weight: 2 },
	{ name: 'Mbombela', province: 'Mpumalanga', lat: -25.4753, lng: 30.9694, weight: 1 },
	{ name: 'Rustenburg', province: 'North West', lat: -25.6676, lng: 27.2421, weight: 1 },
	{ name: 'Kimberley', province: 'Northern Cape', lat: -28.7282, lng: 24.7499, weight: 1 },
];

/** Well-known places, so check-ins land on names a South African reader recognises. */
export const LANDMARKS: { name: string; city: string; category: string }[] = [
	{ name: 'Sandton City', city: 'Johannesburg', category: 'shopping' },
	{ name: 'Maboneng Precinct', city: 'Johannesburg', category: 'nightlife' },
	{ name: 'Apartheid Museum', city: 'Johannesburg', category: 'museum' },
	{ name: 'Constitution Hill', city: 'Johannesburg', category: 'museum' },
	{ name: 'FNB Stadium', city: 'Soweto', category: 'sport' },
	{ name: 'Vilakazi Street', city: 'Soweto', category: 'landmark' },
	{ name: 'Union Buildings', city: 'Pretoria', category: 'landmark' },
	{ name: 'Menlyn Park', city: 'Pretoria', category: 'shopping' },
	{ name: 'V&A Waterfront', city: 'Cape Town', category: 'shopping' },
	{ name: 'Table Mountain Aerial Cableway', city: 'Cape Town', category: 'outdoors' },
	{ name: 'Kirstenbosch Garden', city: 'Cape Town', category: 'outdoors' },
	{ name: 'Boulders Beach', city: 'Cape Town', category: 'outdoors' },
	{ name: 'Spier Wine Farm', city: 'Stellenbosch', category: 'food' },
	{ name: 'uShaka Marine World', city: 'Durban', category: 'family' },
	{ name: 'Moses Mabhida Stadium', city: 'Durban', category: 'sport' },
	{ name: 'Gateway Theatre of Shopping', city: 'Durban', category: 'shopping' },
	{ name: 'Durban Botanic Gardens', city: 'Durban', category: 'outdoors' },
	{ name: 'Nelson Mandela Bay Stadium', city: 'Gqeberha', category: 'sport' },
	{ name: 'Naval Hill', city: 'Bloemfontein', category: 'outdoors' },
	{ name: 'Big Hole', city: 'Kimberley', category: 'landmark' },
];

export const POI_CATEGORIES = ['shopping', 'food', 'nightlife', 'outdoors', 'museum', 'sport', 'family', 'landmark', 'transport', 'coffee'] as const;

export const MERCHANTS: { name: string; category: string }[] = [
	{ name: 'Woolworths', category: 'groceries' },
	{ name: 'Pick n Pay', category: 'groceries' },
	{ name: 'Checkers Sixty60', category: 'groceries' },
	{ name: 'Shoprite', category: 'groceries' },
	{ name: 'SPAR', category: 'groceries' },
	{ name: 'Takealot', category: 'online_retail' },
	{ name: 'Mr D Food', category: 'food_delivery' },
	{ name: 'Uber Eats', category: 'food_delivery' },
	{ name: "Nando's", category: 'restaurants' },
	{ name: 'Steers', category: 'restaurants' },
	{ name: 'Vodacom', category: 'airtime_data' },
	{ name: 'MTN', category: 'airtime_data' },
	{ name: 'Telkom', category: 'airtime_data' },
	{ name: 'Eskom Prepaid', category: 'utilities' },
	{ name: 'City of Johannesburg', category: 'utilities' },
	{ name: 'Engen', category: 'fuel' },
	{ name: 'Sasol', category: 'fuel' },
	{ name: 'Clicks', category: 'pharmacy' },
	{ name: 'Dis-Chem', category: 'pharmacy' },
	{ name: 'Mr Price', category: 'clothing' },
	{ name: 'Pep', category: 'clothing' },
	{ name: 'Gautrain', category: 'transport' },
	{ name: 'Computicket', category: 'entertainment' },
];

export const EMAIL_DOMAINS = ['gmail.com', 'outlook.com', 'icloud.com', 'yahoo.co.za', 'webmail.co.za', 'mweb.co.za', 'telkomsa.net', 'vodamail.co.za'];
