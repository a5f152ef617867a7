export { telemetry, type Telemetry } from './telemetry.js';
export { CallRecorder } from './CallRecorder.js';
export type {
  CallRecorderOptions,
  RecordedCall,
  RecordedCallEvents,
  RecordSink,
} from './CallRecorder.js';
export { IndexedDbRecordStore, MemoryRecordStore } from './RecordStore.js';
export type { IndexedDbRecordStoreOptions, RecordStore } from './RecordStore.js';
export { buildRecord, RECORD_ID_PATTERN, RECORD_SCHEMA } from './records.js';
export type { EnvelopeInput } from './records.js';
export type {
  BrowserInfo,
  CallRole,
  DroppedData,
  RecordDataMap,
  RecordEnvelope,
  RecordKind,
  RekeySchedule,
  SessionEndData,
  SessionStartData,
  SnapshotData,
  TelemetryRecord,
  TelemetryRecordOf,
} from './records.js';
export { isForbidden, redact, REDACTED } from './sanitize.js';
export { createTelemetryReporter, telemetryPlatform } from './telemetryPlatform.js';
export { resolveTelemetryOptions, TELEMETRY_DEFAULTS } from './TelemetryOptions.js';
export type { ResolvedTelemetryOptions, TelemetryOptions } from './TelemetryOptions.js';
export { KEEPALIVE_MAX_BYTES, TelemetryReporter } from './TelemetryReporter.js';
export type {
  DeliveryReport,
  TelemetryError,
  TelemetryErrorCode,
  TelemetryPlatform,
  TelemetryReporterEvents,
  TelemetryRequest,
  TelemetryResponse,
} from './TelemetryReporter.js';
