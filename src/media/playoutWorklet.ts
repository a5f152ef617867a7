// The AudioWorklet module file (dist/rekey-rtc-playout.worklet.js): registers the playout
// processor. RemotePlayout loads it from beside the SDK's own file, so a Content-Security-Policy
// that allows the SDK's origin for scripts allows it too (a blob: copy is the fallback).
import { definePlayoutProcessor, type PlayoutWorkletScope } from './playoutProcessor.js';

definePlayoutProcessor(globalThis as unknown as PlayoutWorkletScope);
