// Loaded between require.js and the widget manager (embed-amd.js), all from this site's _static/.
// The manager derives the URLs of its fonts from RequireJS module ids ("@jupyter-widgets/controls"),
// i.e. "<page folder>/@jupyter-widgets/…"; map those ids to the vendored folder so every page finds them.
(function () {
  var src = document.currentScript && document.currentScript.src;
  var base = src ? src.slice(0, src.lastIndexOf("/") + 1) : "_static/";
  var dist = base + "html-manager/dist";
  // RequireJS uses the longest matching prefix: ids below html-manager/dist and the other packages
  // ("@jupyter-widgets/controls", "@jupyter-widgets/base") all resolve into the vendored dist folder.
  require.config({ paths: { "@jupyter-widgets/html-manager/dist": dist, "@jupyter-widgets": dist } });
})();
