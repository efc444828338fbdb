// The answers of the HTTP API, one schema each: the server's views `satisfies` the inferred
// types and the console parses with the same schemas.
export * from './customers';
export * from './cases';
export * from './callbacks';
export * from './calls';
export * from './agents';
export * from './supervisor';
export * from './health';
export * from './refusals';
export * from './users';
