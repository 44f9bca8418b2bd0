// The address form's region select lists every country's regions, grouped by country: show only the
// chosen country's, and none where the country has none. Without this script the full list works.
(function () {
  function sync(form) {
    var country = form.querySelector('select[name$="country"][autocomplete~="country"]');
    var region = form.querySelector("select[data-region-select]");
    if (!country || !region) return;
    var code = country.value;
    var any = false;
    region.querySelectorAll("optgroup").forEach(function (group) {
      var mine = group.querySelector('option[value^="' + code + ':"]') !== null;
      group.hidden = !mine;
      group.disabled = !mine;
      any = any || mine;
    });
    var chosen = region.options[region.selectedIndex];
    if (chosen && chosen.value && chosen.parentElement.disabled) region.value = "";
    region.closest(".field").hidden = !any;
    region.required = any;
  }
  document.querySelectorAll("form").forEach(function (form) {
    var country = form.querySelector('select[name$="country"][autocomplete~="country"]');
    if (!country || !form.querySelector("select[data-region-select]")) return;
    country.addEventListener("change", function () { sync(form); });
    sync(form);
  });
})();
