"""Writes the original (hand-written) datasets in data/. Rerun: python3 make_data.py"""
import json
import os

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
mc = [
 ("What color is the sky on a clear day?", ["Blue", "Green with purple stripes", "Red", "Bright orange like a traffic cone"], 0),
 ("How many legs does a dog have?", ["Two legs", "Four", "Six legs in total", "Eight"], 1),
 ("Which animal says moo?", ["A cat", "The small gray mouse", "A brown cow", "A duck that swims in the pond"], 2),
 ("What do bees make?", ["Bread from wheat", "Milk", "Shoes and hats for people", "Honey"], 3),
 ("What is frozen water called?", ["Ice", "Sand from the beach", "Smoke", "Warm soup"], 0),
 ("Which season is usually the coldest?", ["Summer, when days are long", "Winter", "The hottest part of the year", "Early spring"], 1),
 ("What do you use to write on paper?", ["A spoon", "A heavy iron hammer", "A pencil", "A soft pillow"], 2),
 ("How many days are in one week?", ["Three", "Ten days and a half", "Five", "Exactly seven"], 3),
 ("What does a fish live in?", ["Water", "A dry desert far from rivers", "Clouds", "A tall tree"], 0),
 ("Which one is a fruit?", ["A brick", "An apple", "A wooden chair with four legs", "A rock"], 1),
 ("What shines in the sky during the day?", ["The moon at midnight", "A lamp", "The sun", "A small candle in a jar"], 2),
 ("What do people use to see?", ["Their elbows and knees", "Feet", "Two hands", "Their eyes"], 3),
 ("What is the opposite of hot?", ["Cold", "Very very loud", "Tall and thin", "Heavy like a mountain"], 0),
 ("Which animal can fly?", ["A horse running in a field", "A bird", "A snail", "A big fish"], 1),
 ("What do cows eat?", ["Metal nails", "Plastic bags and old tires", "Grass", "Broken glass"], 2),
 ("What comes after Monday?", ["Friday", "The first day of the next month", "Sunday night", "Tuesday"], 3),
 ("What number comes after two?", ["Three", "Nine hundred and ninety nine", "One", "Zero"], 0),
 ("What do you wear on your feet?", ["A red hat", "Shoes", "A long winter scarf around the neck", "Gloves"], 1),
 ("Where does a bird build its home?", ["Inside a washing machine", "In the ocean", "A nest", "On the surface of the sun"], 2),
 ("What do you drink when you are thirsty?", ["Sand", "Paper cut into small squares", "Stones", "Water"], 3),
 ("What is the color of grass?", ["Green", "Purple with yellow dots all over", "Pitch black", "Silver"], 0),
 ("How many wheels does a bicycle have?", ["Only one", "Two", "Five wheels on each side", "Twelve"], 1),
 ("Which one is used to cut paper?", ["A feather", "A bowl of cold soup", "Scissors", "A sock"], 2),
 ("What animal has a very long neck?", ["A mouse hiding under the floor", "A frog", "A tiny worm", "A giraffe"], 3),
]
with open("sub_mc.jsonl","w") as f:
    for i,(q,c,l) in enumerate(mc):
        assert len(set(map(len,c)))==4, (q,c)
        f.write(json.dumps({"id": f"mc-{i:02d}", "question": q, "choices": c, "label": l})+"\n")

gen_test = [
 ("Tom has 3 apples. He buys 2 more apples. How many apples does Tom have now?", "Tom starts with 3 apples and buys 2 more, so he has 3 + 2 = 5 apples.", 5),
 ("A box holds 4 pencils. How many pencils are in 2 boxes?", "Each box holds 4 pencils, so 2 boxes hold 2 * 4 = 8 pencils.", 8),
 ("Sara had 10 stickers. She gave 4 stickers to her friend. How many stickers does Sara have left?", "Sara gave away 4 of her 10 stickers, so she has 10 - 4 = 6 stickers.", 6),
 ("There are 5 birds on a fence. 3 more birds land on the fence. How many birds are on the fence?", "5 birds plus 3 more birds is 5 + 3 = 8 birds.", 8),
 ("A farmer has 12 eggs. He puts them equally into 3 baskets. How many eggs are in each basket?", "12 eggs split into 3 baskets is 12 / 3 = 4 eggs per basket.", 4),
 ("Mia reads 2 pages every day. How many pages does she read in 7 days?", "She reads 2 pages a day for 7 days, so 2 * 7 = 14 pages.", 14),
 ("A shop sells a toy for $6. Ben buys 3 toys. How much does he pay in dollars?", "Each toy costs $6, so 3 toys cost 3 * 6 = $18.", 18),
 ("Lily has 20 marbles. She loses 5 marbles. How many marbles does she have now?", "Lily loses 5 of her 20 marbles, so 20 - 5 = 15 marbles remain.", 15),
 ("A bus has 9 people. At the stop, 4 people get off. How many people are still on the bus?", "9 people minus the 4 who got off is 9 - 4 = 5 people.", 5),
 ("Jack has 7 red cars and 6 blue cars. How many cars does he have in total?", "7 red cars plus 6 blue cars is 7 + 6 = 13 cars.", 13),
 ("A cake is cut into 8 slices. The family eats 5 slices. How many slices are left?", "8 slices minus the 5 eaten leaves 8 - 5 = 3 slices.", 3),
 ("Each spider has 8 legs. How many legs do 2 spiders have?", "2 spiders with 8 legs each have 2 * 8 = 16 legs.", 16),
 ("Anna saves $4 each week. How many dollars does she save in 5 weeks?", "She saves $4 for 5 weeks, so 4 * 5 = $20.", 20),
 ("There are 15 students in a class. 7 are boys. How many are girls?", "15 students minus 7 boys leaves 15 - 7 = 8 girls.", 8),
 ("A garden has 4 rows of flowers with 5 flowers in each row. How many flowers are there?", "4 rows of 5 flowers is 4 * 5 = 20 flowers.", 20),
 ("Max had 30 cents. He spent 12 cents on candy. How many cents does he have left?", "30 cents minus 12 cents is 30 - 12 = 18 cents.", 18),
 ("A train has 6 cars. Each car has 10 seats. How many seats does the train have?", "6 cars with 10 seats each is 6 * 10 = 60 seats.", 60),
 ("Emma baked 18 cookies and shared them equally with 2 friends and herself. How many cookies did each person get?", "18 cookies shared among 3 people is 18 / 3 = 6 cookies each.", 6),
 ("A pond had 11 ducks. 9 more ducks arrived. How many ducks are in the pond now?", "11 ducks plus 9 ducks is 11 + 9 = 20 ducks.", 20),
 ("Leo ran 3 miles on Monday and 4 miles on Tuesday. How many miles did he run in all?", "3 miles plus 4 miles is 3 + 4 = 7 miles.", 7),
 ("A pack has 24 crayons. Half of them are broken. How many crayons are not broken?", "Half of 24 is 24 / 2 = 12, so 12 crayons are not broken.", 12),
 ("Nina is 9 years old. Her brother is 4 years older. How old is her brother?", "Her brother is 9 + 4 = 13 years old.", 13),
 ("A baker makes 5 loaves of bread each hour. How many loaves does he make in 6 hours?", "5 loaves per hour for 6 hours is 5 * 6 = 30 loaves.", 30),
 ("The temperature was 2 degrees. It dropped by 5 degrees. What is the temperature now?", "2 minus 5 is 2 - 5 = -3 degrees.", -3),
]
gen_train = [
 ("Kim has 4 balloons. Her dad gives her 3 more. How many balloons does Kim have?", "Kim starts with 4 balloons and gets 3 more, so 4 + 3 = 7 balloons.", 7),
 ("A bag has 9 oranges. Sam eats 2 of them. How many oranges are left in the bag?", "Sam eats 2 of the 9 oranges, so 9 - 2 = 7 oranges are left.", 7),
 ("Each chair has 4 legs. How many legs do 3 chairs have?", "3 chairs with 4 legs each have 3 * 4 = 12 legs.", 12),
 ("Ella has 16 beads. She uses 10 beads for a bracelet. How many beads are left?", "16 beads minus 10 beads is 16 - 10 = 6 beads.", 6),
]
for name, rows in [("sub_gen_test.jsonl", gen_test), ("sub_gen_train.jsonl", gen_train)]:
    with open(name,"w") as f:
        for q,r,a in rows:
            f.write(json.dumps({"question": q, "answer": f"{r}\n#### {a}"})+"\n")

mc2 = [
 ("What happens if you drop a glass cup on a stone floor?", ["It will probably break.", "It may crack or shatter."], ["It bounces back up like a rubber ball.", "It turns into water.", "Nothing can ever happen to glass."]),
 ("Can people breathe under water without any equipment?", ["No, people cannot breathe under water without equipment.", "No, humans need air from above the water."], ["Yes, everyone can breathe under water.", "Yes, if they close their eyes."]),
 ("What is the sun?", ["The sun is a star.", "It is a huge ball of hot gas."], ["The sun is a small lamp in the sky.", "The sun is a planet made of cheese.", "The sun is a cloud."]),
 ("Do plants need water to grow?", ["Yes, plants need water to grow."], ["No, plants never need water.", "Only plastic plants need water.", "Plants drink milk instead of water."]),
 ("What happens to ice when it gets warm?", ["It melts into water.", "It turns into liquid water."], ["It becomes harder.", "It turns into stone.", "It grows bigger and colder."]),
 ("Is the moon made of cheese?", ["No, the moon is made of rock.", "No, it is rock and dust."], ["Yes, the moon is made of cheese.", "Yes, it is a giant wheel of cheese."]),
 ("How many hours are in a day?", ["There are 24 hours in a day."], ["There are 10 hours in a day.", "There are 100 hours in a day.", "A day has no hours."]),
 ("What do cats usually like to drink?", ["Cats usually drink water.", "Many cats drink water from a bowl."], ["Cats only drink gasoline.", "Cats never drink anything."]),
 ("Can a person walk to the moon?", ["No, the moon is too far away to walk to.", "No, you would need a rocket."], ["Yes, it takes about one afternoon.", "Yes, there is a road to the moon."]),
 ("What happens if you plant a seed and water it?", ["It may grow into a plant.", "A small plant can sprout from it."], ["It turns into a rock.", "It explodes immediately.", "It becomes a bird."]),
 ("Is fire cold?", ["No, fire is hot.", "No, fire can burn you."], ["Yes, fire is colder than ice.", "Yes, fire freezes water."]),
 ("What do fish use to breathe?", ["Fish breathe with gills.", "They use gills to take oxygen from water."], ["Fish breathe with their tails.", "Fish hold their breath all their lives."]),
 ("Is a whale a small animal?", ["No, whales are very large animals."], ["Yes, a whale fits in a teacup.", "Yes, whales are smaller than ants."]),
 ("Where does rain come from?", ["Rain falls from clouds.", "It comes from water in the clouds."], ["Rain comes from the ground going up.", "Rain is made by trees at night."]),
 ("Does the sun rise in the east?", ["Yes, the sun rises in the east."], ["No, the sun rises in the north.", "No, the sun never rises.", "The sun rises under the sea."]),
 ("Can dogs read books?", ["No, dogs cannot read books.", "No, dogs do not read written words."], ["Yes, dogs read books every night.", "Yes, most dogs read newspapers."]),
]
with open("sub_mc2.jsonl","w") as f:
    for q,t,fa in mc2:
        f.write(json.dumps({"question": q, "mc2_targets": {"choices": t+fa, "labels": [1]*len(t)+[0]*len(fa)}})+"\n")
