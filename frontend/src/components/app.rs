//! The root component.
use yew::prelude::*;

/// The playground.
#[function_component]
pub fn App() -> Html {
    html! { <main><h1>{ "armorlab" }</h1></main> }
}
