// The article page's transcript: each cue seeks the video, and the cue being spoken is marked.
const video = document.getElementById("story-video");
const cues = [...document.querySelectorAll(".cue")];

if (video && cues.length) {
  for (const cue of cues) {
    cue.addEventListener("click", () => {
      video.currentTime = Number(cue.dataset.start);
      video.play().catch(() => {});
    });
  }
  video.addEventListener("timeupdate", () => {
    let current = null;
    for (const cue of cues) {
      if (Number(cue.dataset.start) <= video.currentTime) current = cue;
    }
    for (const cue of cues) {
      if (cue === current) cue.setAttribute("aria-current", "true");
      else cue.removeAttribute("aria-current");
    }
  });
}
