// Loaded between require.js and the widget renderer (embed-amd.js), on pages with widgets.
(function () {
  var base = document.currentScript.src.replace(/[^/]*$/, "");  // .../_static/
  var dir = base.replace(/\/$/, "");
  window.require.config({
    paths: {
      // the renderer asks require.js for third-party widget modules by name: ipympl's front end
      // is the copy next to this file, not a CDN
      "jupyter-matplotlib": base + "jupyter-matplotlib",
      // the renderer finds its fonts (Font Awesome) next to the URL of its AMD modules: make
      // that URL this folder, where the fonts are, rather than the site's root
      "@jupyter-widgets/html-manager/dist": dir,
      "@jupyter-widgets": dir,
    },
  });
  // The renderer typesets widget labels with MathJax 2's API (MathJax.Hub.Queue); the book has
  // MathJax 3: give it that one call, mapped onto MathJax 3's typesetPromise.
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (!mj || mj.Hub) return;
    mj.Hub = {
      Queue: function () {
        for (var i = 0; i < arguments.length; i++) {
          var job = arguments[i];
          if (Array.isArray(job) && job[0] === "Typeset" && mj.typesetPromise) {
            mj.typesetPromise(job[2] ? [job[2]] : undefined).catch(function () {});
          } else if (typeof job === "function") {
            job();
          }
        }
      },
    };
  });
})();
