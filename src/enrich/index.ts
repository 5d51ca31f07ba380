export * from './config.schema';
export { enrichRelation, type EnrichRelationReport } from './enrichRelation';
export { enrichItems } from './enrichItems';
export { ingestFxRates, normaliseToZar, FxSourceError, type FxIngestReport } from './fxIngest';
export { loadHolidays, holidaysFor, type LoadHolidaysReport } from './holidays';
export { loadPlaces, type LoadPlacesReport } from './loadPlaces';
export { reverseGeocode, fillGeoServiceCache, GeoServiceError } from './geoService';
export { EnrichConfigError } from './parseConfig';
