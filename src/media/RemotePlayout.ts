import type { Platform } from '../platform.js';

interface Source {
  track: MediaStreamTrack;
  node: MediaStreamAudioSourceNode | null;
  gain: GainNode | null;
  stopKeepAlive: () => void;
}

/**
 * One remote MediaStream for the whole call, whatever generation carries the audio.
 *
 * Swapping tracks inside one MediaStream leaves Chromium's `<audio>` element silent (FACTS.md),
 * so each generation's remote audio track is mixed through WebAudio into one destination node
 * whose track lives in `stream` from construction to close. A switch is a short crossfade
 * between two generations carrying the same speech, so no sample is dropped or repeated.
 * Without WebAudio the stream's tracks are swapped instead (the best that is left).
 */
export class RemotePlayout {
  readonly stream: MediaStream;
  private readonly context: AudioContext | null;
  private readonly destination: MediaStreamAudioDestinationNode | null;
  private readonly sources = new Map<number, Source>();
  private active: number | null = null;
  private closed = false;

  constructor(private readonly platform: Platform) {
    this.context = platform.createAudioContext();
    this.destination = this.context ? this.context.createMediaStreamDestination() : null;
    this.stream = new platform.MediaStream(this.destination ? this.destination.stream.getAudioTracks() : []);
  }

  /** Resumes the audio context: call from a user gesture where autoplay rules demand it. */
  async resume(): Promise<void> {
    if (this.context && this.context.state === 'suspended') await this.context.resume();
  }

  /** Adds a generation's remote track, silent until {@link switchTo} selects it. */
  add(generation: number, track: MediaStreamTrack): void {
    if (this.closed) return;
    if (track.kind !== 'audio') {
      this.addVideo(generation, track);
      return;
    }
    if (this.sources.has(generation)) return;
    if (!this.context || !this.destination) {
      this.sources.set(generation, { track, node: null, gain: null, stopKeepAlive: () => undefined });
      if (this.active === null || this.active === generation) this.swapInto(track);
      return;
    }
    const stopKeepAlive = this.platform.playMuted(track);
    const node = this.context.createMediaStreamSource(new this.platform.MediaStream([track]));
    const gain = this.context.createGain();
    gain.gain.value = this.active === null || this.active === generation ? 1 : 0;
    node.connect(gain).connect(this.destination);
    this.sources.set(generation, { track, node, gain, stopKeepAlive });
    if (this.active === null) this.active = generation;
  }

  /** Crossfades playout from the active generation to `generation` over `crossfadeMs`. */
  switchTo(generation: number, crossfadeMs: number): void {
    if (this.closed || this.active === generation) return;
    const next = this.sources.get(generation);
    const previous = this.active === null ? undefined : this.sources.get(this.active);
    this.active = generation;
    this.swapVideo(generation);
    if (!next) return;
    if (!this.context || !next.gain) {
      this.swapInto(next.track);
      return;
    }
    const start = this.context.currentTime;
    const end = start + Math.max(crossfadeMs, 0) / 1000;
    next.gain.gain.cancelScheduledValues(start);
    next.gain.gain.setValueAtTime(next.gain.gain.value, start);
    next.gain.gain.linearRampToValueAtTime(1, end);
    if (previous?.gain) {
      previous.gain.gain.cancelScheduledValues(start);
      previous.gain.gain.setValueAtTime(previous.gain.gain.value, start);
      previous.gain.gain.linearRampToValueAtTime(0, end);
    }
  }

  /** Forgets a retired generation: disconnects its nodes and stops its keep-alive element. */
  remove(generation: number): void {
    const source = this.sources.get(generation);
    this.sources.delete(generation);
    const video = this.videos.get(generation);
    this.videos.delete(generation);
    if (video && this.stream.getTrackById(video.id)) this.stream.removeTrack(video);
    if (!source) return;
    source.node?.disconnect();
    source.gain?.disconnect();
    source.stopKeepAlive();
    if (!source.node && this.stream.getTrackById(source.track.id)) this.stream.removeTrack(source.track);
  }

  /** Generations whose audio is still mixed in. */
  get generations(): number[] {
    return [...this.sources.keys()];
  }

  close(): void {
    if (this.closed) return;
    for (const generation of [...this.sources.keys()]) this.remove(generation);
    this.closed = true;
    this.destination?.stream.getTracks().forEach((t) => t.stop());
    void this.context?.close().catch(() => undefined);
  }

  // Video is not mixed: the active generation's video track is swapped into the stream.
  private readonly videos = new Map<number, MediaStreamTrack>();

  private addVideo(generation: number, track: MediaStreamTrack): void {
    this.videos.set(generation, track);
    if (this.active === null || this.active === generation) this.swapVideo(generation);
  }

  private swapVideo(generation: number): void {
    const track = this.videos.get(generation);
    if (!track) return;
    for (const old of this.stream.getVideoTracks()) if (old !== track) this.stream.removeTrack(old);
    if (!this.stream.getTrackById(track.id)) this.stream.addTrack(track);
  }

  private swapInto(track: MediaStreamTrack): void {
    for (const old of this.stream.getAudioTracks()) if (old !== track) this.stream.removeTrack(old);
    if (!this.stream.getTrackById(track.id)) this.stream.addTrack(track);
  }
}
