export * from './browsers';
export * from './call';
export * from './fixtures';
export * from './signaling';
export type * from './page-globals';
