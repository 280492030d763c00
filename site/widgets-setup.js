/* Saved widget state on the static site, offline.
 * 1. The widget manager (embed-amd.js) finds its fonts next to its own module: point
 *    RequireJS at the local copy under _static/widgets/ (this page may sit in a subfolder).
 * 2. Widgets typeset their labels with MathJax 2's MathJax.Hub.Queue; the site runs
 *    MathJax 3, so give it a Hub.Queue that calls MathJax 3's typesetPromise.
 */
(function () {
  var root = document.documentElement.dataset.content_root || "./";
  if (window.require && window.require.config) {
    window.require.config({
      paths: {
        "@jupyter-widgets/html-manager/dist":
          root + "_static/widgets/@jupyter-widgets/html-manager/dist",
      },
    });
  }

  var pending = [];
  function typeset(job) {
    var element = job && job[2];
    window.MathJax.typesetPromise(element ? [element] : undefined).catch(function (err) {
      console.warn("MathJax could not typeset a widget label:", err);
    });
  }
  function addHub(mathjax) {
    if (!mathjax.Hub) {
      mathjax.Hub = { Queue: typeset };
    }
    pending.splice(0).forEach(typeset);
  }
  if (window.MathJax && window.MathJax.version) {
    addHub(window.MathJax);
    return;
  }
  // MathJax 3 has not started yet: queue typesetting until it is ready.
  var config = (window.MathJax = window.MathJax || {});
  config.Hub = { Queue: function (job) { pending.push(job); } };
  config.startup = config.startup || {};
  var ready = config.startup.ready;
  config.startup.ready = function () {
    if (ready) {
      ready();
    } else {
      window.MathJax.startup.defaultReady();
    }
    addHub(window.MathJax);
  };
})();
