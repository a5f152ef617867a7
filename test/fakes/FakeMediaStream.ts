/** Minimal MediaStreamTrack / MediaStream stand-ins: enough for Generation and RemotePlayout. */
let nextTrack = 0;

export class FakeMediaStreamTrack extends EventTarget {
  readonly id: string;
  readonly kind: 'audio' | 'video';
  readyState: 'live' | 'ended' = 'live';
  enabled = true;

  constructor(kind: 'audio' | 'video', label = 'fake') {
    super();
    this.kind = kind;
    this.id = `${label}-${kind}-${++nextTrack}`;
  }

  stop(): void {
    this.readyState = 'ended';
  }
}

let nextStream = 0;

export class FakeMediaStream extends EventTarget {
  readonly id = `stream-${++nextStream}`;
  private readonly tracks: FakeMediaStreamTrack[];

  constructor(tracks: FakeMediaStreamTrack[] = []) {
    super();
    this.tracks = [...tracks];
  }

  getTracks(): FakeMediaStreamTrack[] {
    return [...this.tracks];
  }
  getAudioTracks(): FakeMediaStreamTrack[] {
    return this.tracks.filter((t) => t.kind === 'audio');
  }
  getVideoTracks(): FakeMediaStreamTrack[] {
    return this.tracks.filter((t) => t.kind === 'video');
  }
  getTrackById(id: string): FakeMediaStreamTrack | null {
    return this.tracks.find((t) => t.id === id) ?? null;
  }
  addTrack(track: FakeMediaStreamTrack): void {
    if (!this.tracks.includes(track)) this.tracks.push(track);
  }
  removeTrack(track: FakeMediaStreamTrack): void {
    const i = this.tracks.indexOf(track);
    if (i >= 0) this.tracks.splice(i, 1);
  }
}

/** A local stream with one audio track, as getUserMedia or an oscillator would give. */
export function audioStream(label = 'local'): MediaStream {
  return new FakeMediaStream([new FakeMediaStreamTrack('audio', label)]) as unknown as MediaStream;
}
