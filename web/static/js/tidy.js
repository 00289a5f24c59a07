// The timeline's bulk form shows only the field its chosen action uses (where to move, the
// reason for the trash, the direction or the channel). Without this script every field shows
// and the server reads the one the action needs.

const form = document.getElementById("bulk-form");
if (form) {
  const action = form.querySelector("[name=action]");
  const fieldOf = { move: "target", trash: "reason", direction: "direction", channel: "channel" };
  const show = () => {
    for (const [choice, name] of Object.entries(fieldOf)) {
      const input = form.querySelector(`[name=${name}]`);
      if (input) input.closest("label").hidden = choice !== action.value;
    }
  };
  action.addEventListener("change", show);
  show();
}
