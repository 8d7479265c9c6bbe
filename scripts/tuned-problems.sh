# Sourced by ship_rates.sh and race_check.sh: the problems whose rates ship in resources/tuned-rates.json — the
# bundled problems at 100 steps, and the Art view's defaults (coffee in the style of hubble, 128 px, 128 steps).
tuned_problems=(quadratic mnist fashion-mnist neural-art convnet "neural-art:size=128,content=coffee,style=hubble@128")
