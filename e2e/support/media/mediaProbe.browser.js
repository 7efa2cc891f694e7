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
 * window.__mediaProbe: snapshot(since) → what was recorded from `since` (epoch ms) on (kept: the last
 * `keepMs`); reset(); filmstrip()
 * → the sampled frames as one PNG (what each video showed, for a failed call's report).
 */
function installMediaProbe(config) {
  if (window.__mediaProbe) return;
  const { width, height, cells, pictureTop, sampleEvery, keepSamples, keepMs, minReadIntervalMs, audioMaxHz } = config;
  // Luma samples cross to Node as base64 (a JSON array of numbers is four times the size to send).
  const base64 = (bytes) => {
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  };
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
    let lastReadAt = 0;
    const onFrame = (now, metadata) => {
      if (!video.isConnected) return;
      // At most one read per `minReadIntervalMs`: the compositor's count says how many frames were
      // shown in between, and the probe must not take the CPU the browsers need for the call.
      if (video.videoWidth > 0 && now - lastReadAt >= minReadIntervalMs) {
        lastReadAt = now;
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
        const at = performance.timeOrigin + now;
        entry.frames.push({ at, presented: metadata.presentedFrames, cells: cellValues });
        // Bounded memory: a call measured for hours keeps only the last KEEP_MS of frames.
        while (entry.frames.length > 0 && entry.frames[0].at < at - keepMs) entry.frames.shift();
        if (sample) {
          const luma = new Uint8Array(width * height);
          for (let i = 0; i < width * height; i += 1) luma[i] = Math.round(lumaOf(rgba, i * 4));
          entry.samples.push({ at, luma });
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
        const at = performance.timeOrigin + performance.now();
        entry.seconds.push({ at, power: entry.power.map((sum) => sum / entry.reads) });
        while (entry.seconds.length > 0 && entry.seconds[0].at < at - keepMs) entry.seconds.shift();
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
    snapshot(since = 0) {
      const video = {};
      for (const [key, entry] of videos) {
        video[key] = {
          frames: entry.frames.filter((frame) => frame.at >= since),
          samples: entry.samples.filter((sample) => sample.at >= since).map((sample) => ({ at: sample.at, luma: base64(sample.luma) })),
        };
      }
      const audio = {};
      for (const [key, entry] of audios) {
        audio[key] = { binHz: entry.binHz, seconds: entry.seconds.filter((second) => second.at > since) };
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
    /** The kept luma samples as a PNG data URL: one row per video (labelled), oldest first; null if none. */
    filmstrip() {
      const rows = [...videos.entries()].filter(([, entry]) => entry.samples.length > 0);
      if (rows.length === 0) return null;
      const label = 14;
      const canvas = document.createElement('canvas');
      canvas.width = width * keepSamples;
      canvas.height = (height + label) * rows.length;
      const context = canvas.getContext('2d');
      context.fillStyle = '#000';
      context.fillRect(0, 0, canvas.width, canvas.height);
      rows.forEach(([key, entry], row) => {
        const top = row * (height + label);
        context.fillStyle = '#fff';
        context.font = '11px sans-serif';
        context.fillText(key, 2, top + 11);
        entry.samples.forEach((sample, column) => {
          const image = context.createImageData(width, height);
          sample.luma.forEach((value, i) => {
            image.data.set([value, value, value, 255], i * 4);
          });
          context.putImageData(image, column * width, top + label);
        });
      });
      return canvas.toDataURL('image/png');
    },
  };
}
