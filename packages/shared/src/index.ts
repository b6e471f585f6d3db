export * from './contract.js';
export * from './errors.js';
export * from './scopes.js';
export * from './schemas.js';
export * from './tokens.js';
export * from './validate.js';
export * from './openapi.js';
export * from './contracts/index.js';
