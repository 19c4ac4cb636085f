// The microphone button: record with MediaRecorder (WebM/Opus where the browser
// has it), post the recording to the voice channel, hand back its transcript,
// messages and spoken reply. A browser without MediaRecorder, a page that is not
// a secure origin, and a denied permission each get a plain explanation.

const PREFERRED_TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];
const MAX_SECONDS = 30;

export class VoiceError extends Error {}

export function voiceSupport() {
  if (typeof window.MediaRecorder === "undefined") {
    return "Voice input needs a browser that can record audio (MediaRecorder).";
  }
  if (!navigator.mediaDevices?.getUserMedia) {
    return window.isSecureContext
      ? "This browser gives pages no access to a microphone."
      : "Voice input works only on a secure address (https, or localhost).";
  }
  return null;
}

export class VoiceRecorder {
  constructor() {
    this.recorder = null;
    this.stream = null;
    this.chunks = [];
    this.timer = null;
  }

  get recording() {
    return this.recorder?.state === "recording";
  }

  /** Ask for the microphone and start recording; throws VoiceError with a message for people. */
  async start() {
    const unsupported = voiceSupport();
    if (unsupported) throw new VoiceError(unsupported);
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      if (error.name === "NotAllowedError" || error.name === "SecurityError") {
        throw new VoiceError(
          "Microphone access was denied. Allow the microphone for this site in the browser's settings, or type your question.",
        );
      }
      if (error.name === "NotFoundError" || error.name === "OverconstrainedError") {
        throw new VoiceError("No microphone was found on this device.");
      }
      throw new VoiceError(`The microphone could not be started (${error.name}).`);
    }
    const mimeType = PREFERRED_TYPES.find((t) => MediaRecorder.isTypeSupported?.(t));
    this.chunks = [];
    this.recorder = new MediaRecorder(this.stream, mimeType ? { mimeType } : undefined);
    this.recorder.addEventListener("dataavailable", (event) => {
      if (event.data?.size) this.chunks.push(event.data);
    });
    this.done = new Promise((resolve) => {
      this.recorder.addEventListener("stop", () => {
        const type = this.recorder.mimeType || mimeType || "audio/webm";
        resolve(new Blob(this.chunks, { type }));
      });
    });
    this.recorder.start();
    this.timer = setTimeout(() => this.stop(), MAX_SECONDS * 1000);
  }

  /** Stop recording; resolves with the recording (a Blob), or null when nothing was recorded. */
  async stop() {
    clearTimeout(this.timer);
    if (!this.recorder) return null;
    if (this.recorder.state !== "inactive") this.recorder.stop();
    const blob = await this.done;
    this.release();
    return blob.size ? blob : null;
  }

  release() {
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
    this.recorder = null;
  }
}

/** Play a base64 WAV reply; resolves false when the browser would not play it. */
export async function playReply(base64) {
  if (!base64) return false;
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: "audio/wav" }));
  const audio = new Audio(url);
  audio.addEventListener("ended", () => URL.revokeObjectURL(url), { once: true });
  try {
    await audio.play();
    return true;
  } catch {
    URL.revokeObjectURL(url);
    return false;
  }
}
