// The real playout processor (src/media/playoutProcessor.ts) outside an AudioWorklet: a fake
// AudioWorkletGlobalScope registers it, and tests feed it render quanta of known signals.
import { mulberry32 } from '../../e2e/audio/signal.mjs';
import {
  definePlayoutProcessor,
  type PlayoutCommand,
  type PlayoutReply,
} from '../../src/media/playoutProcessor.js';

export const QUANTUM = 128;

interface ProcessorInstance {
  port: FakePort;
  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean;
}

export class FakePort {
  onmessage: ((event: { data: unknown }) => void) | null = null;
  readonly sent: unknown[] = [];
  /** Where postMessage() delivers; the test's list by default. */
  deliver: (message: unknown) => void = (message) => this.sent.push(message);
  postMessage(message: unknown): void {
    this.deliver(message);
  }
  close(): void {
    this.onmessage = null;
  }
}

/** Registers the processor in a fake scope and returns its constructor. */
export function processorClass(): new () => ProcessorInstance {
  let registered: (new () => ProcessorInstance) | null = null;
  class AudioWorkletProcessor {
    readonly port = new FakePort();
  }
  definePlayoutProcessor({
    AudioWorkletProcessor: AudioWorkletProcessor as unknown as new () => { port: MessagePort },
    registerProcessor: (name, processor) => {
      if (name !== 'rekey-rtc-playout') throw new Error(`registered as ${name}`);
      registered = processor as new () => ProcessorInstance;
    },
  });
  if (!registered) throw new Error('the processor did not register');
  return registered;
}

/** A test signal: white noise, so any shift of it is unmistakable. */
export function noise(seed: number, length: number): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = random() * 2 - 1;
  return out;
}

/** Drives one processor: inputs are functions of the frame index, output is kept whole. */
export class ProcessorRig {
  readonly processor: ProcessorInstance;
  readonly output: number[][] = [[], []];
  frame = 0;

  constructor(
    /** Per slot: the sample at a frame, or null for a disconnected input. */
    public inputs: ((frame: number) => number | null)[],
  ) {
    this.processor = new (processorClass())();
  }

  send(command: PlayoutCommand | Record<string, unknown>): void {
    this.processor.port.onmessage?.({ data: command });
  }

  get replies(): PlayoutReply[] {
    return this.processor.port.sent as PlayoutReply[];
  }

  render(quanta: number): void {
    for (let q = 0; q < quanta; q++) {
      const inputs = this.inputs.map((input) => {
        if (input(this.frame) === null) return [];
        const channel = new Float32Array(QUANTUM);
        for (let k = 0; k < QUANTUM; k++) channel[k] = input(this.frame + k) ?? 0;
        return [channel];
      });
      const outputs = [[new Float32Array(QUANTUM), new Float32Array(QUANTUM)]];
      const alive = this.processor.process(inputs, outputs);
      if (!alive) throw new Error('process() asked to stop');
      outputs[0]!.forEach((channel, c) => this.output[c]!.push(...channel));
      this.frame += QUANTUM;
    }
  }
}
