// webrtc-adapter types only its default export; this is the one function rekey-rtc takes from it.
declare module 'webrtc-adapter/dist/utils.js' {
  /** Browser name ('chrome', 'firefox', 'safari', or 'Not a browser.') and major version. */
  export function detectBrowser(window: Window): {
    browser: string | null;
    version: number | null;
  };
}
