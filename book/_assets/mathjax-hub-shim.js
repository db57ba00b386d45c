// ipywidgets 8 typesets widget labels with MathJax 2's API (MathJax.Hub.Queue), which MathJax 3 lacks:
// without this, every widget with a description throws on a page that loads MathJax 3 (ipywidgets#3829).
// Loaded deferred, after MathJax; maps Queue(["Typeset", hub, element]) to MathJax 3's typesetPromise.
(function () {
  function install() {
    var mj = window.MathJax;
    if (!mj || mj.Hub || typeof mj !== "object") return;
    mj.Hub = {
      Queue: function () {
        for (var i = 0; i < arguments.length; i++) {
          var job = arguments[i];
          if (typeof job === "function") { job(); continue; }
          if (Array.isArray(job) && job[0] === "Typeset") {
            var el = job[2];
            var ready = (mj.startup && mj.startup.promise) || Promise.resolve();
            ready.then(function () {
              if (mj.typesetPromise) return mj.typesetPromise(el ? [el] : undefined);
            }).catch(function (err) { console.warn("MathJax typeset failed", err); });
          }
        }
      },
    };
  }
  install();
  document.addEventListener("DOMContentLoaded", install);
})();
