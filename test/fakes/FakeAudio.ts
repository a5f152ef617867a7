// A WebAudio stand-in that runs the real playout processor (src/media/playoutProcessor.ts):
// enough of AudioContext, MediaStreamAudioSourceNode, GainNode and AudioWorkletNode for
// RemotePlayout. Each remote track carries a signal given by the test (a function of the frame);
// render() pulls it through the processor (or through gain nodes, without the worklet) and keeps
// what the call's output would play.
import type { Platform } from '../../src/platform.js';
import { FakeMediaStream, FakeMediaStreamTrack } from './FakeMediaStream.js';
import { FakePort, processorClass, QUANTUM } from './playoutWorklet.js';

export type Signal = (frame: number) => number;

interface Connection {
  target: unknown;
  input: number;
}

class FakeNode {
  readonly connections: Connection[] = [];
  constructor(readonly context: FakeAudioContext) {}
  connect<T>(target: T, _output = 0, input = 0): T {
    this.connections.push({ target, input });
    return target;
  }
  disconnect(): void {
    this.connections.length = 0;
  }
}

class FakeParam {
  private events: { at: number; value: number; ramp: boolean }[] = [];
  constructor(
    private readonly context: FakeAudioContext,
    private base: number,
  ) {}
  get value(): number {
    return this.at(this.context.currentTime);
  }
  set value(v: number) {
    this.base = v;
    this.events = [];
  }
  setValueAtTime(value: number, at: number): void {
    this.events.push({ at, value, ramp: false });
  }
  linearRampToValueAtTime(value: number, at: number): void {
    this.events.push({ at, value, ramp: true });
  }
  cancelScheduledValues(from: number): void {
    this.events = this.events.filter((e) => e.at < from);
  }
  at(time: number): number {
    let value = this.base;
    let previous = { at: 0, value: this.base };
    for (const e of [...this.events].sort((a, b) => a.at - b.at)) {
      if (e.at <= time) {
        value = e.value;
        previous = e;
      } else {
        if (e.ramp)
          value =
            previous.value +
            ((e.value - previous.value) * (time - previous.at)) / (e.at - previous.at);
        break;
      }
    }
    return value;
  }
}

export class FakeSourceNode extends FakeNode {
  constructor(
    context: FakeAudioContext,
    readonly track: FakeMediaStreamTrack,
  ) {
    super(context);
  }
}

export class FakeGainNode extends FakeNode {
  readonly gain: FakeParam;
  constructor(context: FakeAudioContext) {
    super(context);
    this.gain = new FakeParam(context, 1);
  }
}

/** The node side of an AudioWorkletNode; messages cross to the processor as macrotasks. */
export class FakeWorkletNode extends FakeNode {
  readonly port = new FakePort();
  onprocessorerror: (() => void) | null = null;
  readonly processor: InstanceType<ReturnType<typeof processorClass>>;
  constructor(context: FakeAudioContext, name: string, options: { numberOfInputs: number }) {
    super(context);
    if (name !== 'rekey-rtc-playout') throw new Error(`unknown processor ${name}`);
    if (!context.modules.length) throw new Error('InvalidStateError: module not added');
    this.inputs = options.numberOfInputs;
    this.processor = new (processorClass())();
    this.port.deliver = (message) =>
      setTimeout(() => this.processor.port.onmessage?.({ data: message }), 0);
    this.processor.port.deliver = (message) => {
      this.replies.push(message);
      setTimeout(() => this.port.onmessage?.({ data: message }), 0);
    };
    context.worklets.push(this);
  }
  readonly inputs: number;
  /** Everything the processor posted, in order. */
  readonly replies: unknown[] = [];
}

export interface FakeAudioOptions {
  /** The signal a remote track carries. */
  signalOf: (track: FakeMediaStreamTrack) => Signal;
  /** addModule() rejects these URLs (a CSP, a 404), or all of them when true. */
  failModule?: boolean | ((url: string) => boolean);
  /** Platform.playoutWorkletUrl (null: none, only the blob: copy). */
  workletUrl?: string | null;
  /** No AudioWorklet at all. */
  noWorklet?: boolean;
}

export class FakeAudioContext {
  readonly sampleRate = 48_000;
  state: 'running' | 'closed' = 'running';
  frame = 0;
  readonly modules: string[] = [];
  readonly worklets: FakeWorkletNode[] = [];
  readonly sources: FakeSourceNode[] = [];
  readonly gains: FakeGainNode[] = [];
  readonly destinationNode: FakeNode & { stream: FakeMediaStream };
  /** The context's own output (the speaker). */
  readonly destination: FakeNode;
  /** What the call's output played, one sample per frame (first channel). */
  readonly output: number[] = [];
  readonly audioWorklet: { addModule(url: string): Promise<void> } | undefined;

  constructor(readonly options: FakeAudioOptions) {
    this.destinationNode = Object.assign(new FakeNode(this), {
      stream: new FakeMediaStream([new FakeMediaStreamTrack('audio', 'mixed')]),
    });
    this.destination = new FakeNode(this);
    this.audioWorklet = options.noWorklet
      ? undefined
      : {
          addModule: async (url: string) => {
            const fail = options.failModule;
            if (fail === true || (typeof fail === 'function' && fail(url)))
              throw new Error(`could not load ${url}`);
            this.modules.push(url);
          },
        };
  }

  get currentTime(): number {
    return this.frame / this.sampleRate;
  }

  createMediaStreamDestination() {
    return this.destinationNode;
  }
  createMediaStreamSource(stream: FakeMediaStream): FakeSourceNode {
    const track = stream.getAudioTracks()[0];
    if (!track) throw new Error('no audio track');
    const node = new FakeSourceNode(this, track);
    this.sources.push(node);
    return node;
  }
  createGain(): FakeGainNode {
    const node = new FakeGainNode(this);
    this.gains.push(node);
    return node;
  }
  async resume(): Promise<void> {}
  async close(): Promise<void> {
    this.state = 'closed';
  }

  /** Renders `ms` of audio (whole quanta) into `output`. */
  render(ms: number): void {
    const quanta = Math.round((ms * this.sampleRate) / 1000 / QUANTUM);
    for (let q = 0; q < quanta; q++) this.renderQuantum();
  }

  private renderQuantum(): void {
    const out = new Float32Array(QUANTUM);
    const mixer = this.worklets.find((w) => this.reaches(w, this.destinationNode));
    if (mixer) {
      const inputs: Float32Array[][] = Array.from({ length: mixer.inputs }, () => []);
      for (const source of this.sources) {
        for (const c of source.connections) {
          if (c.target !== mixer) continue;
          inputs[c.input] = [this.block(source)];
        }
      }
      const outputs = [[new Float32Array(QUANTUM), new Float32Array(QUANTUM)]];
      mixer.processor.process(inputs, outputs);
      out.set(outputs[0]![0]!);
    }
    for (const source of this.sources) {
      for (const c of source.connections) {
        const gain = c.target;
        if (!(gain instanceof FakeGainNode)) continue;
        if (!this.reaches(gain, this.destinationNode)) continue;
        const block = this.block(source);
        for (let k = 0; k < QUANTUM; k++)
          out[k]! += block[k]! * gain.gain.at((this.frame + k) / this.sampleRate);
      }
    }
    this.output.push(...out);
    this.frame += QUANTUM;
  }

  /** Whether `node` is connected to `target`. */
  reaches(node: FakeNode, target: FakeNode): boolean {
    return node.connections.some((c) => c.target === target);
  }

  private block(source: FakeSourceNode): Float32Array {
    const signal = this.options.signalOf(source.track);
    const block = new Float32Array(QUANTUM);
    for (let k = 0; k < QUANTUM; k++) block[k] = signal(this.frame + k);
    return block;
  }
}

/** Platform parts for RemotePlayout on a FakeAudioContext (the context is created on demand). */
export function fakeAudioPlatform(options: FakeAudioOptions): Pick<
  Platform,
  'createAudioContext' | 'AudioWorkletNode' | 'playoutWorkletUrl'
> & {
  contexts: FakeAudioContext[];
} {
  const contexts: FakeAudioContext[] = [];
  return {
    contexts,
    createAudioContext: () => {
      const context = new FakeAudioContext(options);
      contexts.push(context);
      return context as unknown as AudioContext;
    },
    AudioWorkletNode: options.noWorklet
      ? null
      : (FakeWorkletNode as unknown as typeof AudioWorkletNode),
    playoutWorkletUrl:
      options.workletUrl === undefined
        ? 'https://app.example/dist/rekey-rtc-playout.worklet.js'
        : options.workletUrl,
  };
}
