/**
 * Runs inside a call page (injected by mediaProbe.ts as plain JavaScript, so no test-runner
 * transform touches it). For every video the page presents — each remote tile's and the local
 * preview — it records, per presented frame (requestVideoFrameCallback), the wall-clock time, the
 * compositor's count of presented frames and the brightness at the centre of each code cell of the
 * test pattern (testPattern.ts); every `sampleEvery` frames it keeps a small luma copy of the whole
 * frame for a full-reference score. For every remote audio element it averages the power spectrum
 * below 1 kHz per second. Decoding the cells and judging the figures happen in Node (mediaAnalysis.ts),
 * with the same functions that drew the pattern.
 *
 * window.__mediaProbe: snapshot() → everything recorded since the last reset(); reset().
 */
function installMediaProbe(config) {
  if (window.__mediaProbe) return;
  const { width, height, cells, pictureTop, sampleEvery, keepSamples, audioMaxHz } = config;
  const videos = new Map();
  const audios = new Map();
  let audioContext;

  const keyOf = (element) => {
    if (element.dataset.testid === 'local-video') return 'self';
    const tile = element.closest('[data-testid="participant-tile"]');
    return tile ? tile.dataset.displayName : null;
  };

  const lumaOf = (rgba, offset) => 0.299 * rgba[offset] + 0.587 * rgba[offset + 1] + 0.114 * rgba[offset + 2];

  const watchVideo = (video, key) => {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    const entry = videos.get(key) ?? { frames: [], samples: [] };
    videos.set(key, entry);
    let read = 0;
    const onFrame = (now, metadata) => {
      if (!video.isConnected) return;
      if (video.videoWidth > 0) {
        read += 1;
        const sample = read % sampleEvery === 0;
        // Only the code band is scaled and read back per frame (the cheap part); the whole frame
        // only for a sample. The probe must not take the CPU the browsers need for the call.
        const rows = sample ? height : pictureTop;
        context.drawImage(video, 0, 0, video.videoWidth, (video.videoHeight * rows) / height, 0, 0, width, rows);
        const rgba = context.getImageData(0, 0, width, rows).data;
        const cellValues = cells.map(([x, y]) => {
          let sum = 0;
          for (let dy = -1; dy <= 1; dy += 1) for (let dx = -1; dx <= 1; dx += 1) sum += lumaOf(rgba, ((y + dy) * width + x + dx) * 4);
          return Math.round(sum / 9);
        });
        // presented: the compositor's own count (metadata.presentedFrames), which goes on even
        // when this callback is skipped because the page is busy.
        entry.frames.push({ at: performance.timeOrigin + now, presented: metadata.presentedFrames, cells: cellValues });
        if (sample) {
          const luma = new Array(width * height);
          for (let i = 0; i < width * height; i += 1) luma[i] = Math.round(lumaOf(rgba, i * 4));
          entry.samples.push({ at: performance.timeOrigin + now, luma });
          if (entry.samples.length > keepSamples) entry.samples.shift();
        }
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };

  const watchAudio = (element, key) => {
    const stream = element.srcObject;
    if (!stream || stream.getAudioTracks().length === 0) return false;
    audioContext ??= new AudioContext();
    void audioContext.resume();
    const analyser = audioContext.createAnalyser();
    analyser.fftSize = 4096;
    analyser.smoothingTimeConstant = 0;
    audioContext.createMediaStreamSource(stream).connect(analyser);
    const binHz = audioContext.sampleRate / analyser.fftSize;
    const bins = Math.ceil(audioMaxHz / binHz);
    // `seconds`: one averaged spectrum per second (10 reads), with the time it ended.
    const entry = { binHz, power: new Array(bins).fill(0), reads: 0, seconds: [], track: stream.getAudioTracks()[0] };
    audios.set(key, entry);
    const spectrum = new Float32Array(analyser.frequencyBinCount);
    const timer = setInterval(() => {
      if (!element.isConnected || entry.track.readyState === 'ended') {
        clearInterval(timer);
        return;
      }
      analyser.getFloatFrequencyData(spectrum);
      for (let bin = 0; bin < bins; bin += 1) entry.power[bin] += 10 ** (spectrum[bin] / 10);
      entry.reads += 1;
      if (entry.reads === 10) {
        entry.seconds.push({ at: performance.timeOrigin + performance.now(), power: entry.power.map((sum) => sum / entry.reads) });
        entry.power.fill(0);
        entry.reads = 0;
      }
    }, 100);
    return true;
  };

  const watched = new WeakSet();
  const scan = () => {
    for (const video of document.querySelectorAll('video[data-testid="participant-video"], video[data-testid="local-video"]')) {
      if (watched.has(video)) continue;
      const key = keyOf(video);
      if (!key) continue;
      watched.add(video);
      watchVideo(video, key);
    }
    for (const audio of document.querySelectorAll('audio[data-testid="participant-audio"]')) {
      if (watched.has(audio)) continue;
      const key = keyOf(audio);
      if (key && watchAudio(audio, key)) watched.add(audio);
    }
  };
  const scanner = setInterval(scan, 250);
  scan();

  window.__mediaProbe = {
    snapshot() {
      const video = {};
      for (const [key, entry] of videos) video[key] = { frames: entry.frames, samples: entry.samples };
      const audio = {};
      for (const [key, entry] of audios) {
        audio[key] = { binHz: entry.binHz, seconds: entry.seconds };
      }
      return { video, audio, audioContextState: audioContext?.state ?? null };
    },
    reset() {
      for (const entry of videos.values()) {
        entry.frames = [];
        entry.samples = [];
      }
      for (const entry of audios.values()) entry.seconds = [];
    },
    stop() {
      clearInterval(scanner);
    },
  };
}
