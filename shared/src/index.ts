export * from './roles';
export * from './auth';
export * from './text';
export * from './phone';
export * from './screen-pop';
export * from './calls';
export * from './events';
export * from './errors';
