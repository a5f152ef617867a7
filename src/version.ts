declare const __REKEY_VERSION__: string;

/** The SDK's version, replaced at build time. */
export const VERSION: string =
  typeof __REKEY_VERSION__ === 'string' ? __REKEY_VERSION__ : '0.0.0-dev';
