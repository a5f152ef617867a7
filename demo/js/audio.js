// Local audio for the demo (a microphone, or a generated tone) and a level meter that reads
// what actually arrives in `call.remoteStream`.

let sharedContext = null;

/**
 * One AudioContext per page, created on a user gesture (the Start button) so it may play. At
 * 48 kHz, the rate of the SDK's own context: Firefox runs contexts of one rate in one media graph,
 * and a stream carried from one graph to another (a 44.1 kHz device's default context reading the
 * SDK's remoteStream) arrives with gaps of silence now and then.
 */
export function audioContext() {
  if (!sharedContext) {
    try {
      sharedContext = new AudioContext({ latencyHint: 'interactive', sampleRate: 48_000 });
    } catch {
      sharedContext = new AudioContext({ latencyHint: 'interactive' });
    }
  }
  if (sharedContext.state === 'suspended') void sharedContext.resume();
  return sharedContext;
}

/**
 * A steady tone as a MediaStream: what the demo sends when there is no microphone. A slow
 * tremolo makes it recognisable (and shows on the meter) without ever going silent.
 */
export function toneStream(frequency = 440) {
  const context = audioContext();
  const oscillator = new OscillatorNode(context, { type: 'sine', frequency });
  const gain = new GainNode(context, { gain: 0.18 });
  const tremolo = new OscillatorNode(context, { type: 'sine', frequency: 0.5 });
  const depth = new GainNode(context, { gain: 0.06 });
  tremolo.connect(depth).connect(gain.gain);
  const destination = context.createMediaStreamDestination();
  oscillator.connect(gain).connect(destination);
  oscillator.start();
  tremolo.start();
  return {
    stream: destination.stream,
    stop() {
      oscillator.stop();
      tremolo.stop();
      gain.disconnect();
      destination.stream.getTracks().forEach((t) => t.stop());
    },
  };
}

/**
 * The audio to send. `source` is 'auto' (microphone, tone when refused or missing) or 'tone'.
 * Resolves with `{ stream, kind: 'microphone' | 'tone', label, stop }`.
 */
export async function localAudio(source, frequency = 440) {
  let why = 'chosen in the settings';
  if (source !== 'tone') {
    if (!navigator.mediaDevices?.getUserMedia) {
      why = 'this browser offers no microphone API here';
    } else {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
        const track = stream.getAudioTracks()[0];
        return {
          stream,
          kind: 'microphone',
          label: `Microphone${track?.label ? `: ${track.label}` : ''}`,
          stop: () => stream.getTracks().forEach((t) => t.stop()),
        };
      } catch (error) {
        why =
          error?.name === 'NotAllowedError'
            ? 'microphone permission was refused'
            : error?.name === 'NotFoundError'
              ? 'no microphone was found'
              : `the microphone is unavailable (${error?.name ?? 'error'})`;
      }
    }
  }
  const tone = toneStream(frequency);
  return { ...tone, kind: 'tone', label: `Generated tone, ${frequency} Hz (${why})` };
}

const SAMPLE_MS = 50;
const HISTORY = 400; // 20 s of samples
/** Below this RMS level (about -60 dBFS) a sample counts as silence. */
const SILENCE_RMS = 0.001;

/**
 * Draws the level of `stream` on `canvas` (a rolling 20 s history with re-key markers) and
 * writes the current level and the longest silence into `text`.
 */
export class LevelMeter {
  constructor(canvas, text) {
    this.canvas = canvas;
    this.text = text;
    this.samples = new Float32Array(HISTORY);
    this.markers = [];
    this.count = 0;
    this.silentSince = null;
    this.longestSilenceMs = 0;
    this.timer = null;
    this.source = null;
  }

  /** Starts reading `stream` (call.remoteStream). */
  attach(stream) {
    this.detach();
    const context = audioContext();
    this.source = context.createMediaStreamSource(stream);
    this.analyser = new AnalyserNode(context, { fftSize: 1024 });
    this.source.connect(this.analyser);
    this.buffer = new Float32Array(this.analyser.fftSize);
    this.samples.fill(0);
    this.markers = [];
    this.count = 0;
    this.silentSince = null;
    this.longestSilenceMs = 0;
    this.measuring = false;
    this.armed = false;
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  /**
   * Silence counts from the first audible sample after this call (the call connected): before
   * the first packets arrive, nothing is expected.
   */
  startMeasuring() {
    this.armed = true;
    this.silentSince = null;
  }

  stopMeasuring() {
    this.armed = false;
    this.measuring = false;
  }

  /** A vertical marker at the current position, e.g. a completed re-key. */
  mark() {
    this.markers.push(this.count);
  }

  detach() {
    clearInterval(this.timer);
    this.timer = null;
    this.source?.disconnect();
    this.source = null;
  }

  sample() {
    this.analyser.getFloatTimeDomainData(this.buffer);
    let sum = 0;
    for (const v of this.buffer) sum += v * v;
    const rms = Math.sqrt(sum / this.buffer.length);
    this.samples[this.count % HISTORY] = rms;
    this.count += 1;
    if (this.armed && !this.measuring && rms >= SILENCE_RMS) this.measuring = true;
    if (this.measuring) {
      // Timed by the clock, not by the number of samples: a page busy for a moment runs late
      // ticks back to back, and three silent samples 20 ms apart are not 150 ms of silence.
      const now = performance.now();
      if (rms >= SILENCE_RMS) this.silentSince = null;
      else this.silentSince ??= now;
      if (this.silentSince !== null) {
        const run = Math.round(now - this.silentSince) + SAMPLE_MS;
        this.longestSilenceMs = Math.max(this.longestSilenceMs, run);
      }
    }
    this.draw(rms);
  }

  draw(rms) {
    const { canvas } = this;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
    if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const step = width / HISTORY;
    const first = Math.max(0, this.count - HISTORY);
    g.fillStyle = '#0e7c86';
    for (let i = first; i < this.count; i++) {
      const level = levelOf(this.samples[i % HISTORY]);
      const barHeight = Math.max(1, level * (height - 2));
      g.fillRect((i - first) * step, height - barHeight, Math.max(1, step - 0.5), barHeight);
    }
    g.fillStyle = '#6941c6';
    this.markers = this.markers.filter((m) => m >= first);
    for (const m of this.markers) g.fillRect((m - first) * step, 0, 2, height);

    const db = rms > 0 ? 20 * Math.log10(rms) : -Infinity;
    const level = Number.isFinite(db) && db > -100 ? `${db.toFixed(0)} dBFS` : 'silent';
    const gap = this.measuring || this.longestSilenceMs > 0 ? `${this.longestSilenceMs} ms` : '—';
    this.text.level.textContent = level;
    this.text.gap.textContent = gap;
  }
}

/** RMS to a 0..1 bar height on a -60..0 dBFS scale. */
function levelOf(rms) {
  if (!(rms > 0)) return 0;
  return Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60));
}
